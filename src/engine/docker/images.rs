//! Images: inspection and listing, pull, push, tag, removal, pruning,
//! and builds (their options, query and output stream).

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::errors::Error as BollardError;
use bollard::models::BuildInfoAux;
use bollard::query_parameters::{
    BuildImageOptionsBuilder, BuilderVersion, CreateImageOptionsBuilder, ListImagesOptionsBuilder,
    PruneImagesOptionsBuilder, PushImageOptionsBuilder, RemoveImageOptions, TagImageOptionsBuilder,
};
use futures_util::stream::{BoxStream, StreamExt};

use super::connect::engine_error;
use super::{DockerEngine, percent_encode, project_filter, sorted};
use crate::engine::buildkit::{Step, StepLog, Trace, TraceUpdate};
use crate::engine::image::LayerTally;
use crate::engine::{
    BuildOutput, BuildSpec, EngineError, ImageInfo, RegistryAuth, Result, Transfer, labels,
};

impl DockerEngine {
    pub(super) async fn local_image_id(&self, reference: &str) -> Result<Option<String>> {
        match self
            .read(|c| async move { c.inspect_image(reference).await })
            .await
        {
            Ok(image) => Ok(image.id),
            Err(e) => match self.fail(e) {
                EngineError::NotFound(_) => Ok(None),
                e => Err(e),
            },
        }
    }

    pub(super) async fn image_info(&self, reference: &str) -> Result<Option<ImageInfo>> {
        let image = match self
            .read(|c| async move { c.inspect_image(reference).await })
            .await
        {
            Ok(image) => image,
            Err(e) => {
                return match self.fail(e) {
                    EngineError::NotFound(_) => Ok(None),
                    e => Err(e),
                };
            }
        };
        Ok(Some(ImageInfo {
            id: image.id.unwrap_or_default(),
            repo_tags: image.repo_tags.unwrap_or_default(),
            repo_digests: image.repo_digests.unwrap_or_default(),
            size: image.size.unwrap_or_default(),
            created: image.created.map(rfc3339).unwrap_or_default(),
            last_tag_time: image
                .metadata
                .and_then(|m| m.last_tag_time)
                .map(rfc3339)
                .unwrap_or_default(),
            platform: format!(
                "{}/{}",
                image.os.unwrap_or_default(),
                image.architecture.unwrap_or_default()
            ),
            labels: sorted(image.config.and_then(|c| c.labels)),
        }))
    }

    pub(super) async fn project_images(&self, project: &str) -> Result<Vec<ImageInfo>> {
        let options = ListImagesOptionsBuilder::default()
            .filters(&project_filter(project))
            .build();
        let images = self
            .read(|c| {
                let options = options.clone();
                async move { c.list_images(Some(options)).await }
            })
            .await
            .map_err(|e| self.fail(e))?;
        Ok(images
            .into_iter()
            .map(|i| ImageInfo {
                id: i.id,
                repo_tags: i.repo_tags,
                repo_digests: i.repo_digests,
                size: i.size,
                created: i.created.to_string(),
                last_tag_time: String::new(),
                platform: String::new(),
                labels: i.labels.into_iter().collect(),
            })
            .collect())
    }

    pub(super) async fn pull(
        &self,
        reference: &str,
        platform: &str,
        auth: Option<&RegistryAuth>,
        progress: &(dyn Fn(Transfer) + Send + Sync),
    ) -> Result<String> {
        let (image, tag) = crate::reference::split_tag(reference);
        let options = CreateImageOptionsBuilder::default()
            .from_image(image)
            .tag(tag)
            .platform(platform)
            .build();
        let mut stream = self
            .client
            .create_image(Some(options), None, auth.map(credentials));
        let mut tally = LayerTally::default();
        while let Some(message) = stream.next().await {
            let message = message.map_err(|e| self.fail(e))?;
            if let (Some(layer), Some(status)) = (message.id.as_deref(), message.status.as_deref())
            {
                let detail = message.progress_detail.unwrap_or_default();
                let sum = tally.update(
                    layer,
                    status,
                    detail.current.unwrap_or_default(),
                    detail.total.unwrap_or_default(),
                );
                progress(sum);
            }
        }
        self.local_image_id(reference).await?.ok_or_else(|| {
            EngineError::NotFound(format!("{reference} is still missing after the pull"))
        })
    }

    pub(super) async fn digest_at_registry(
        &self,
        reference: &str,
        auth: Option<&RegistryAuth>,
    ) -> Result<String> {
        let inspect = self
            .client
            .inspect_registry_image(reference, auth.map(credentials))
            .await
            .map_err(|e| self.fail(e))?;
        inspect
            .descriptor
            .digest
            .ok_or_else(|| EngineError::NoDigest {
                reference: reference.to_string(),
            })
    }

    pub(super) async fn push(
        &self,
        reference: &str,
        auth: Option<&RegistryAuth>,
        progress: &(dyn Fn(Transfer) + Send + Sync),
    ) -> Result<()> {
        let (image, tag) = crate::reference::split_tag(reference);
        let options = PushImageOptionsBuilder::default().tag(tag).build();
        let mut stream = self
            .client
            .push_image(image, Some(options), auth.map(credentials));
        let mut tally = LayerTally::default();
        while let Some(message) = stream.next().await {
            let message = message.map_err(|e| self.fail(e))?;
            // bollard keeps no layer ID for pushes: a layer is told by its size.
            let detail = message.progress_detail.unwrap_or_default();
            if let (Some(status), Some(total)) = (message.status.as_deref(), detail.total) {
                progress(tally.update(
                    &total.to_string(),
                    status,
                    detail.current.unwrap_or_default(),
                    total,
                ));
            }
        }
        Ok(())
    }

    pub(super) fn build(
        &self,
        spec: &BuildSpec,
        context: BoxStream<'static, std::io::Result<bytes::Bytes>>,
    ) -> BoxStream<'static, Result<BuildOutput>> {
        let to_map = |m: &BTreeMap<String, String>| -> HashMap<String, String> {
            m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        let mut options = BuildImageOptionsBuilder::default()
            .dockerfile(&spec.dockerfile)
            .t(&spec.tag)
            .buildargs(&to_map(&spec.args))
            .labels(&to_map(&spec.labels))
            .target(&spec.target)
            .nocache(spec.no_cache)
            .rm(true)
            .forcerm(true)
            .platform(&spec.platform);
        if spec.pull {
            options = options.pull("1");
        }
        if !spec.cache_from.is_empty() {
            options = options.cachefrom(&spec.cache_from);
        }
        if !spec.extra_hosts.is_empty() {
            options = options.extrahosts(&spec.extra_hosts.join(","));
        }
        if !spec.network.is_empty() {
            options = options.networkmode(&spec.network);
        }
        if spec.shm_size > 0 {
            options = options.shmsize(i32::try_from(spec.shm_size).unwrap_or(i32::MAX));
        }
        if spec.buildkit {
            // BuildKit talks back to the client over a session of its own
            // (bollard serves it); the context still travels as the body.
            options = options
                .version(BuilderVersion::BuilderBuildKit)
                .session(&build_session_id());
        }
        // Keyed as each builder looks them up: BuildKit by the registry's
        // host (Docker Hub's is registry-1.docker.io), the classic builder
        // by the key of `config.json`.
        let auths: HashMap<String, DockerCredentials> = spec
            .auths
            .iter()
            .map(|auth| {
                let key = match auth.server.as_str() {
                    crate::reference::DOCKER_HUB_KEY if spec.buildkit => "registry-1.docker.io",
                    server => server,
                };
                (key.to_string(), credentials(auth))
            })
            .collect();
        let auths = (!auths.is_empty()).then_some(auths);
        let client = with_build_query(self.client.clone(), spec);
        let options = options.build();
        // bollard's stream borrows the client: a task owns both and forwards.
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        let host = self.host.clone();
        tokio::spawn(async move {
            let mut stream =
                client.build_image(options, auths, Some(bollard::body_try_stream(context)));
            let mut trace = Trace::default();
            while let Some(message) = stream.next().await {
                for output in build_outputs(&host, message, &mut trace) {
                    if sender.send(output).is_err() {
                        return;
                    }
                }
            }
        });
        futures_util::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|output| (output, receiver))
        })
        .boxed()
    }

    pub(super) async fn tag(&self, image: &str, reference: &str) -> Result<()> {
        let (repo, tag) = crate::reference::split_tag(reference);
        let options = TagImageOptionsBuilder::default()
            .repo(repo)
            .tag(tag)
            .build();
        self.quick
            .tag_image(image, Some(options))
            .await
            .map_err(|e| self.fail(e))
    }

    pub(super) async fn delete_image(&self, reference: &str) -> Result<bool> {
        match self
            .quick
            .remove_image(reference, None::<RemoveImageOptions>, None)
            .await
            .map_err(|e| self.fail(e))
        {
            Ok(_) => Ok(true),
            Err(EngineError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub(super) async fn prune_dangling(&self, project: &str) -> Result<usize> {
        let label = format!("{}={project}", labels::PROJECT);
        let filters = HashMap::from([("dangling", vec!["true"]), ("label", vec![label.as_str()])]);
        let options = PruneImagesOptionsBuilder::default()
            .filters(&filters)
            .build();
        let pruned = self
            .client
            .prune_images(Some(options))
            .await
            .map_err(|e| self.fail(e))?;
        Ok(pruned
            .images_deleted
            .map_or(0, |d| d.iter().filter(|i| i.deleted.is_some()).count()))
    }
}

pub(in crate::engine) fn credentials(auth: &RegistryAuth) -> DockerCredentials {
    let set = |v: &str| (!v.is_empty()).then(|| v.to_string());
    DockerCredentials {
        username: set(&auth.username),
        password: set(&auth.password),
        identitytoken: set(&auth.identity_token),
        serveraddress: set(&auth.server),
        ..Default::default()
    }
}

/// bollard's build options have no place for `ulimits` and `isolation`,
/// which the engine's `/build` reads from the query: a client of its own
/// appends them to the build request.
fn with_build_query(client: Docker, spec: &BuildSpec) -> Docker {
    let mut extra = Vec::new();
    if !spec.ulimits.is_empty() {
        let ulimits: Vec<serde_json::Value> = spec
            .ulimits
            .iter()
            .map(|u| serde_json::json!({"Name": u.name, "Soft": u.soft, "Hard": u.hard}))
            .collect();
        extra.push(("ulimits", serde_json::Value::from(ulimits).to_string()));
    }
    if !spec.isolation.is_empty() {
        extra.push(("isolation", spec.isolation.clone()));
    }
    // bollard's `memory` is an i32: a limit above 2 GiB would not fit.
    if spec.memory > 0 {
        extra.push(("memory", spec.memory.to_string()));
    }
    if extra.is_empty() {
        return client;
    }
    let query: String = extra
        .iter()
        .map(|(k, v)| format!("&{k}={}", percent_encode(v)))
        .collect();
    client.with_request_modifier(move |mut request| {
        let uri = request.uri().to_string();
        if uri.contains("/build?")
            && let Ok(with_extra) = format!("{uri}{query}").parse::<http::Uri>()
        {
            *request.uri_mut() = with_extra;
        }
        request
    })
}

/// What one message of the build stream tells: output lines, the image
/// ID, or the error that ended the build.
fn build_outputs(
    host: &str,
    message: std::result::Result<bollard::models::BuildInfo, BollardError>,
    trace: &mut Trace,
) -> Vec<Result<BuildOutput>> {
    let info = match message {
        Ok(info) => info,
        Err(BollardError::DockerStreamError { error }) => {
            return vec![Err(EngineError::Refused(error))];
        }
        Err(e) => return vec![Err(engine_error(host, e))],
    };
    let mut outputs = Vec::new();
    if let Some(text) = info.stream.as_deref().or(info.status.as_deref()) {
        outputs.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| Ok(BuildOutput::Line(l.trim_end().to_string()))),
        );
    }
    if let Some(detail) = info.error_detail.and_then(|d| d.message) {
        outputs.push(Err(EngineError::Refused(detail)));
    }
    match info.aux {
        Some(BuildInfoAux::Default(image)) => {
            outputs.extend(image.id.map(|id| Ok(BuildOutput::ImageId(id))));
        }
        Some(BuildInfoAux::BuildKit(status)) => outputs.extend(
            trace
                .lines(&trace_update(status))
                .into_iter()
                .map(|line| Ok(BuildOutput::Line(line))),
        ),
        None => {}
    }
    outputs
}

/// A BuildKit trace message in berth's own terms.
fn trace_update(status: bollard::moby::buildkit::v1::StatusResponse) -> TraceUpdate {
    let epoch = |seconds: i64, nanos: i32| seconds as f64 + f64::from(nanos) / 1e9;
    TraceUpdate {
        steps: status
            .vertexes
            .into_iter()
            .map(|v| Step {
                digest: v.digest,
                name: v.name,
                started: v.started.map(|t| epoch(t.seconds, t.nanos)),
                completed: v.completed.map(|t| epoch(t.seconds, t.nanos)),
                cached: v.cached,
                error: v.error,
            })
            .collect(),
        logs: status
            .logs
            .into_iter()
            .map(|l| StepLog {
                digest: l.vertex,
                at: l.timestamp.map_or(0.0, |t| epoch(t.seconds, t.nanos)),
                text: l.msg,
            })
            .collect(),
        warnings: status
            .warnings
            .into_iter()
            .map(|w| String::from_utf8_lossy(&w.short).into_owned())
            .collect(),
    }
}

/// A session ID no other build on this engine uses at the same time.
fn build_session_id() -> String {
    static BUILDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("berth-{}-{nanos}-{n}", std::process::id())
}

/// A time from the engine as the engine wrote it (RFC 3339, to the nanosecond).
fn rfc3339(time: bollard::models::BollardDate) -> String {
    time.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

//! Networks and volumes: listing, finding, creating and removing them,
//! and connecting containers to networks.

use bollard::errors::Error as BollardError;
use bollard::models::{NetworkConnectRequest, NetworkDisconnectRequest};
use bollard::query_parameters::{ListNetworksOptionsBuilder, ListVolumesOptionsBuilder};

use super::convert::{endpoint, network_request, volume_request};
use super::{DockerEngine, project_filter, sorted};
use crate::engine::spec::{NetworkAttachment, NetworkSpec, VolumeSpec};
use crate::engine::{EngineError, Network, Result, Volume, podman};

impl DockerEngine {
    pub(super) async fn project_networks(&self, project: &str) -> Result<Vec<Network>> {
        let options = ListNetworksOptionsBuilder::default()
            .filters(&project_filter(project))
            .build();
        let list = self
            .read(|c| {
                let options = options.clone();
                async move { c.list_networks(Some(options)).await }
            })
            .await
            .map_err(|e| self.fail(e))?;
        Ok(list
            .into_iter()
            .map(|n| Network {
                id: n.id.unwrap_or_default(),
                name: n.name.unwrap_or_default(),
                labels: sorted(n.labels),
            })
            .collect())
    }

    pub(super) async fn project_volumes(&self, project: &str) -> Result<Vec<Volume>> {
        let options = ListVolumesOptionsBuilder::default()
            .filters(&project_filter(project))
            .build();
        let list = self
            .read(|c| {
                let options = options.clone();
                async move { c.list_volumes(Some(options)).await }
            })
            .await
            .map_err(|e| self.fail(e))?;
        Ok(list
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(volume)
            .collect())
    }

    pub(super) async fn network_named(&self, name: &str) -> Result<Option<Network>> {
        match self
            .read(|c| async move { c.inspect_network(name, None).await })
            .await
        {
            Ok(n) => Ok(Some(Network {
                id: n.id.unwrap_or_default(),
                name: n.name.unwrap_or_default(),
                labels: sorted(n.labels),
            })),
            Err(e) => match self.fail(e) {
                EngineError::NotFound(_) => Ok(None),
                e => Err(e),
            },
        }
    }

    pub(super) async fn volume_named(&self, name: &str) -> Result<Option<Volume>> {
        match self
            .read(|c| async move { c.inspect_volume(name).await })
            .await
        {
            Ok(v) => Ok(Some(volume(v))),
            Err(e) => match self.fail(e) {
                EngineError::NotFound(_) => Ok(None),
                e => Err(e),
            },
        }
    }

    pub(super) async fn make_network(&self, spec: &NetworkSpec) -> Result<String> {
        let api = self.api().await?;
        let request = network_request(spec, api);
        let mut attempts = 0;
        let created = loop {
            match self.quick.create_network(request.clone()).await {
                // Nothing was created: Podman lost a race with an interface
                // that went away while it chose a subnet.
                Err(e) if podman::lost_interface_race(&e.to_string()) && attempts < 3 => {
                    attempts += 1;
                }
                answer => break answer.map_err(|e| self.fail(e))?,
            }
        };
        Ok(created.id)
    }

    pub(super) async fn delete_network(&self, id: &str) -> Result<()> {
        match self.ignore_not_found(self.quick.remove_network(id).await) {
            // Containers outside the plan (orphans, other projects) still use it.
            Err(EngineError::Refused(message)) if message.contains("active endpoints") => {
                let attached = self
                    .read(|c| async move { c.inspect_network(id, None).await })
                    .await
                    .map(|n| n.containers.is_some_and(|c| !c.is_empty()));
                match attached {
                    Ok(false) => Err(EngineError::StaleNetwork(message)),
                    _ => Err(EngineError::Conflict(message)),
                }
            }
            other => other,
        }
    }

    pub(super) async fn make_volume(&self, spec: &VolumeSpec) -> Result<()> {
        let request = volume_request(spec);
        self.quick
            .create_volume(request)
            .await
            .map(|_| ())
            .map_err(|e| self.fail(e))
    }

    pub(super) async fn delete_volume(&self, name: &str) -> Result<()> {
        self.ignore_not_found(
            self.quick
                .remove_volume(name, None::<bollard::query_parameters::RemoveVolumeOptions>)
                .await,
        )
    }

    pub(super) async fn join_network(
        &self,
        network: &str,
        id: &str,
        name: &str,
        attachment: &NetworkAttachment,
    ) -> Result<()> {
        let api = self.api().await?;
        let request = NetworkConnectRequest {
            container: id.to_string(),
            endpoint_config: Some(endpoint(attachment, name, api)),
        };
        match self.quick.connect_network(network, request).await {
            // An earlier, interrupted run connected it already.
            Err(BollardError::DockerResponseServerError {
                status_code: 403,
                message,
            }) if message.contains("already exists") => Ok(()),
            other => other.map_err(|e| self.fail(e)),
        }
    }

    pub(super) async fn leave_network(&self, network: &str, id: &str) -> Result<()> {
        let request = NetworkDisconnectRequest {
            container: id.to_string(),
            force: Some(true),
        };
        match self.quick.disconnect_network(network, request).await {
            // Not (or no longer) connected: already as wanted.
            Err(BollardError::DockerResponseServerError { message, .. })
                if message.contains("is not connected") =>
            {
                Ok(())
            }
            other => self.ignore_not_found(other),
        }
    }
}

fn volume(v: bollard::models::Volume) -> Volume {
    Volume {
        name: v.name,
        driver: v.driver,
        labels: v.labels.into_iter().collect(),
        mountpoint: v.mountpoint,
        scope: v.scope.map(|s| s.to_string()).unwrap_or_default(),
    }
}

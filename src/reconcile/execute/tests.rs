//! Plan and execute against the in-memory engine: order, the concurrency
//! limit, cancellation, failures and waits.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use tokio_util::sync::CancellationToken;

use super::Failure;
use super::{Context, ExecError, execute};
use crate::engine::EngineError;
use crate::engine::fake::{Call, FakeEngine, OnStart};
use crate::engine::spec::VolumeSpec;
use crate::events::Emitter;
use crate::reconcile::desired::{Desired, DesiredVolume};
use crate::reconcile::observe;
use crate::reconcile::plan::{DownOptions, Op, Plan, UpOptions, plan_down, plan_up};
use crate::reconcile::test_support::desired;

fn context(engine: &FakeEngine, desired: &Desired, parallel: usize) -> Context<FakeEngine> {
    Context {
        engine: engine.clone(),
        desired: Arc::new(desired.clone()),
        images: BTreeMap::new(),
        containers: HashMap::new(),
        events: Emitter::channel().0,
        parallel,
        wait_timeout: None,
        cancel: CancellationToken::new(),
    }
}

/// Observes, plans `up` and runs the plan; the plan and how it ended.
async fn up(engine: &FakeEngine, mut ctx: Context<FakeEngine>) -> (Plan, Result<(), ExecError>) {
    let observed = observe::observe(engine, &ctx.desired).await.unwrap();
    ctx.containers = ids(&observed);
    let plan = plan_up(&ctx.desired, &observed, &UpOptions::default()).unwrap();
    let result = execute(&plan, ctx).await;
    (plan, result)
}

/// Container name → ID, of what the engine has.
fn ids(observed: &observe::Observed) -> HashMap<String, String> {
    let containers = observed.containers.iter();
    containers.map(|c| (c.name.clone(), c.id.clone())).collect()
}

/// The call an action makes, if it makes one.
fn call_of<'a>(op: &Op, calls: &'a [Call]) -> Option<&'a Call> {
    let (name, target) = match op {
        Op::CreateNetwork { name, .. } => ("create_network", name),
        Op::CreateVolume { name, .. } => ("create_volume", name),
        Op::CreateContainer { name, .. } => ("create", name),
        Op::StartContainer { name, .. } => ("start", name),
        _ => return None,
    };
    calls.iter().find(|c| c.op == name && c.target == *target)
}

/// Every action that ran began after every action it comes after ended
/// (a wait counts as ended once what it waited after had).
fn assert_in_dependency_order(plan: &Plan, calls: &[Call]) {
    let mut ended: Vec<Option<u64>> = Vec::with_capacity(plan.actions.len());
    for action in &plan.actions {
        let before = action.after.iter().map(|&a| ended[a]);
        let latest = before.clone().flatten().max();
        let own = call_of(&action.op, calls);
        if let (Some(call), Some(latest)) = (own, latest) {
            assert!(
                call.began > latest,
                "#{} {} began at {} before its dependencies ended at {latest}\n{}",
                action.id,
                action.op.describe(),
                call.began,
                plan.render()
            );
        }
        // An action that did not run leaves its dependents unrun too.
        if own.is_none() && !matches!(action.op, Op::Wait { .. }) {
            ended.push(None);
        } else {
            ended.push(own.and_then(|c| c.ended).or(latest));
        }
    }
}

fn started(calls: &[Call], container: &str) -> bool {
    calls
        .iter()
        .any(|c| c.op == "start" && c.target == container)
}

const CHAIN: &str = "services:\n  web: {image: x, depends_on: [api]}\n  api: {image: x, depends_on: [db]}\n  db: {image: x}\n";

#[tokio::test]
async fn containers_start_after_their_dependencies() {
    let engine = FakeEngine::default();
    let desired = desired(CHAIN);
    let (plan, result) = up(&engine, context(&engine, &desired, 8)).await;
    result.unwrap();
    let calls = engine.calls();
    assert_in_dependency_order(&plan, &calls);
    let start = |name: &str| calls.iter().find(|c| c.op == "start" && c.target == name);
    let (db, api, web) = (start("t-db-1"), start("t-api-1"), start("t-web-1"));
    assert!(db.unwrap().ended < Some(api.unwrap().began));
    assert!(api.unwrap().ended < Some(web.unwrap().began));
    assert_eq!(engine.container_names(), ["t-api-1", "t-db-1", "t-web-1"]);
    // Up to date now: a second plan has nothing to do.
    let observed = observe::observe(&engine, &desired).await.unwrap();
    let again = plan_up(&desired, &observed, &UpOptions::default()).unwrap();
    assert!(again.actions.is_empty(), "{}", again.render());
}

#[tokio::test]
async fn no_more_engine_calls_at_once_than_the_limit() {
    let yaml: String = (0..12).fold("services:\n".into(), |mut yaml, i| {
        yaml.push_str(&format!("  s{i}: {{image: x}}\n"));
        yaml
    });
    let desired = desired(&yaml);
    let limited = FakeEngine::default();
    up(&limited, context(&limited, &desired, 2))
        .await
        .1
        .unwrap();
    assert_eq!(limited.max_in_flight(), 2);
    let wide = FakeEngine::default();
    up(&wide, context(&wide, &desired, 12)).await.1.unwrap();
    assert!(wide.max_in_flight() > 2, "{}", wide.max_in_flight());
}

#[tokio::test]
async fn a_failure_leaves_the_dependents_unstarted() {
    let engine = FakeEngine::default();
    engine.fail("start", "t-api-1", EngineError::Refused("boom".into()));
    let desired = desired(CHAIN);
    let (plan, result) = up(&engine, context(&engine, &desired, 8)).await;
    assert!(
        matches!(&result, Err(ExecError::Engine(EngineError::Refused(m))) if m == "boom"),
        "{result:?}"
    );
    let calls = engine.calls();
    assert_in_dependency_order(&plan, &calls);
    assert!(started(&calls, "t-db-1"));
    assert!(!started(&calls, "t-web-1"), "{calls:?}");
}

const HEALTHY_DB: &str = "services:\n  web:\n    image: x\n    depends_on: {db: {condition: service_healthy}}\n  db: {image: x}\n";

#[tokio::test]
async fn a_dependent_waits_for_its_dependency_to_be_healthy() {
    let engine = FakeEngine::default();
    engine.on_start("db", OnStart::TurnHealthy);
    let desired = desired(HEALTHY_DB);
    let (plan, result) = up(&engine, context(&engine, &desired, 8)).await;
    result.unwrap();
    assert!(
        plan.actions.iter().any(|a| matches!(a.op, Op::Wait { .. })),
        "{}",
        plan.render()
    );
    assert!(started(&engine.calls(), "t-web-1"));
}

#[tokio::test]
async fn a_wait_that_outlasts_its_deadline_fails_and_its_dependents_never_start() {
    let engine = FakeEngine::default();
    engine.on_start("db", OnStart::StayStarting);
    let desired = desired(HEALTHY_DB);
    let mut ctx = context(&engine, &desired, 8);
    ctx.wait_timeout = Some(Duration::from_millis(50));
    let (_, result) = up(&engine, ctx).await;
    match result {
        Err(ExecError::Timeout(message)) => {
            assert!(message.contains("timed out waiting for db"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!started(&engine.calls(), "t-web-1"));
}

#[tokio::test]
async fn an_unhealthy_or_failed_dependency_fails_the_wait() {
    let engine = FakeEngine::default();
    engine.on_start("db", OnStart::TurnUnhealthy);
    let (_, result) = up(&engine, context(&engine, &desired(HEALTHY_DB), 8)).await;
    assert!(
        matches!(
            &result,
            Err(ExecError::Condition {
                failure: Failure::Unhealthy,
                ..
            })
        ),
        "{result:?}"
    );
    let engine = FakeEngine::default();
    engine.on_start("db", OnStart::Exit(3));
    let job = "services:\n  web:\n    image: x\n    depends_on: {db: {condition: service_completed_successfully}}\n  db: {image: x}\n";
    let (_, result) = up(&engine, context(&engine, &desired(job), 8)).await;
    match result {
        Err(ExecError::Condition {
            failure: Failure::Exited,
            message,
            ..
        }) => assert!(message.contains("exit 3"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(!started(&engine.calls(), "t-web-1"));
}

#[tokio::test]
async fn cancelling_mid_plan_stops_the_scheduling() {
    let engine = FakeEngine::default();
    engine.on_start("db", OnStart::StayStarting);
    let desired = desired(HEALTHY_DB);
    let ctx = context(&engine, &desired, 8);
    let cancel = ctx.cancel.clone();
    let watcher = engine.clone();
    // Cancel (as Ctrl-C does) once the dependency has started.
    tokio::spawn(async move {
        while !started(&watcher.calls(), "t-db-1") {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        cancel.cancel();
    });
    let (_, result) = up(&engine, ctx).await;
    assert!(matches!(result, Err(ExecError::Cancelled)), "{result:?}");
    assert!(!started(&engine.calls(), "t-web-1"));
}

#[tokio::test]
async fn down_stops_dependents_before_their_dependencies() {
    let engine = FakeEngine::default();
    let desired = desired(CHAIN);
    up(&engine, context(&engine, &desired, 8)).await.1.unwrap();
    let observed = observe::observe(&engine, &desired).await.unwrap();
    let down = plan_down(&desired, &observed, &DownOptions::default());
    let before = engine.calls().len();
    let mut ctx = context(&engine, &desired, 8);
    ctx.containers = ids(&observed);
    execute(&down, ctx).await.unwrap();
    let calls = engine.calls().split_off(before);
    let stop = |name: &str| calls.iter().find(|c| c.op == "stop" && c.target == name);
    let (db, api, web) = (stop("t-db-1"), stop("t-api-1"), stop("t-web-1"));
    assert!(web.unwrap().ended < Some(api.unwrap().began), "{calls:?}");
    assert!(api.unwrap().ended < Some(db.unwrap().began), "{calls:?}");
    assert!(engine.container_names().is_empty());
}

/// A plan of `afters.len()` volume creates, each after the ones listed.
fn volume_plan(afters: &[Vec<usize>]) -> (Desired, Plan) {
    let mut desired = Desired {
        project: "t".into(),
        ..Default::default()
    };
    let mut plan = Plan::for_project(&desired);
    for (i, after) in afters.iter().enumerate() {
        let key = format!("v{i}");
        let spec = VolumeSpec {
            name: format!("t_{key}"),
            ..Default::default()
        };
        let op = Op::CreateVolume {
            volume: key.clone(),
            name: spec.name.clone(),
        };
        plan.push(op, after.clone(), "test");
        let volume = DesiredVolume {
            key: key.clone(),
            external: false,
            spec,
            hash: String::new(),
        };
        desired.volumes.insert(key, volume);
    }
    (desired, plan)
}

/// Random DAGs: each node comes after a random subset of the earlier ones.
fn dags() -> impl Strategy<Value = Vec<Vec<usize>>> {
    (1usize..14).prop_flat_map(|n| {
        let nodes: Vec<_> = (0..n)
            .map(|i| proptest::collection::vec(0..i.max(1), 0..i.min(3) + 1))
            .collect();
        nodes.prop_map(|afters| {
            afters
                .into_iter()
                .enumerate()
                .map(|(i, after)| after.into_iter().filter(|&a| a < i).collect())
                .collect()
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn the_executor_keeps_dependency_order_and_the_limit(afters in dags(), parallel in 1usize..5) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let engine = FakeEngine::new(Duration::from_micros(200));
        let (desired, plan) = volume_plan(&afters);
        let ctx = context(&engine, &desired, parallel);
        runtime.block_on(execute(&plan, ctx)).unwrap();
        let calls = engine.calls();
        prop_assert_eq!(calls.len(), afters.len());
        assert_in_dependency_order(&plan, &calls);
        prop_assert!(engine.max_in_flight() <= parallel);
    }
}

//! BuildKit's progress, as the lines of its plain output.
//!
//! A BuildKit build reports its steps ("vertexes") and their logs in
//! `moby.buildkit.trace` messages, each a snapshot of what changed. [`Trace`]
//! turns them into the lines a Docker Compose user knows from
//! `--progress plain`: `#3 [2/3] RUN make` when a step starts, `#3 0.215 ok`
//! for each line it prints, then `#3 DONE 0.4s`, `#3 CACHED` or
//! `#3 ERROR: ...`.

use std::collections::HashMap;

/// A step of the build, as one trace message tells of it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Step {
    pub digest: String,
    pub name: String,
    /// Seconds since the epoch, once started.
    pub started: Option<f64>,
    /// Seconds since the epoch, once ended.
    pub completed: Option<f64>,
    pub cached: bool,
    /// Why it failed; empty when it did not.
    pub error: String,
}

/// Output of a step's process.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepLog {
    pub digest: String,
    /// Seconds since the epoch.
    pub at: f64,
    pub text: Vec<u8>,
}

/// One trace message: steps that changed, their new output, and warnings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TraceUpdate {
    pub steps: Vec<Step>,
    pub logs: Vec<StepLog>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Default)]
struct Known {
    number: usize,
    started: Option<f64>,
    announced: bool,
    ended: bool,
    /// A line the step has not finished printing yet.
    partial: Vec<u8>,
}

/// The state of one build's progress: which steps were seen, in order.
#[derive(Debug, Default)]
pub struct Trace {
    steps: HashMap<String, Known>,
}

impl Trace {
    /// The lines `update` adds to the build's output.
    pub fn lines(&mut self, update: &TraceUpdate) -> Vec<String> {
        let mut lines = Vec::new();
        for step in &update.steps {
            let known = self.known(&step.digest);
            let number = known.number;
            if step.started.is_some() {
                known.started = step.started;
            }
            let begun = step.started.is_some() || step.completed.is_some() || step.cached;
            if begun && !known.announced {
                known.announced = true;
                lines.push(format!("#{number} {}", step.name));
            }
            match step.completed {
                Some(completed) if !known.ended => {
                    known.ended = true;
                    if !known.partial.is_empty() {
                        let rest = std::mem::take(&mut known.partial);
                        lines.push(format!("#{number} {}", String::from_utf8_lossy(&rest)));
                    }
                    lines.push(if step.cached {
                        format!("#{number} CACHED")
                    } else if !step.error.is_empty() {
                        format!("#{number} ERROR: {}", step.error)
                    } else {
                        let took = known.started.map_or(0.0, |s| (completed - s).max(0.0));
                        format!("#{number} DONE {took:.1}s")
                    });
                }
                // Started again (BuildKit reruns a step it had to wait for).
                None if step.started.is_some() => known.ended = false,
                _ => {}
            }
        }
        for log in &update.logs {
            let known = self.known(&log.digest);
            let number = known.number;
            let since = known.started.map_or(0.0, |s| (log.at - s).max(0.0));
            known.partial.extend_from_slice(&log.text);
            while let Some(end) = known.partial.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = known.partial.drain(..=end).collect();
                let text = String::from_utf8_lossy(&line[..end]);
                let text = text.trim_end_matches('\r');
                lines.push(format!("#{number} {since:.3} {text}"));
            }
        }
        lines.extend(update.warnings.iter().map(|w| format!("WARN: {w}")));
        lines
    }

    fn known(&mut self, digest: &str) -> &mut Known {
        let next = self.steps.len() + 1;
        self.steps
            .entry(digest.to_string())
            .or_insert_with(|| Known {
                number: next,
                ..Known::default()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(digest: &str, name: &str) -> Step {
        Step {
            digest: digest.into(),
            name: name.into(),
            ..Step::default()
        }
    }

    #[test]
    fn a_step_is_announced_once_then_logs_and_ends_with_its_duration() {
        let mut trace = Trace::default();
        let queued = step("a", "[1/2] FROM busybox");
        let run = step("b", "[2/2] RUN make");
        assert!(
            trace
                .lines(&TraceUpdate {
                    steps: vec![queued, run.clone()],
                    ..TraceUpdate::default()
                })
                .is_empty()
        );
        let started = Step {
            started: Some(100.0),
            ..run
        };
        let lines = trace.lines(&TraceUpdate {
            steps: vec![started.clone()],
            logs: vec![
                StepLog {
                    digest: "b".into(),
                    at: 100.25,
                    text: b"compiling\nlink".to_vec(),
                },
                StepLog {
                    digest: "b".into(),
                    at: 100.5,
                    text: b"ing\r\n".to_vec(),
                },
            ],
            ..TraceUpdate::default()
        });
        assert_eq!(
            lines,
            [
                "#2 [2/2] RUN make",
                "#2 0.250 compiling",
                "#2 0.500 linking"
            ]
        );
        let lines = trace.lines(&TraceUpdate {
            steps: vec![
                started.clone(),
                Step {
                    completed: Some(101.04),
                    ..started
                },
            ],
            ..TraceUpdate::default()
        });
        assert_eq!(lines, ["#2 DONE 1.0s"]);
    }

    #[test]
    fn cached_and_failed_steps_say_so_and_keep_an_unfinished_line() {
        let mut trace = Trace::default();
        let lines = trace.lines(&TraceUpdate {
            steps: vec![Step {
                started: Some(1.0),
                completed: Some(1.0),
                cached: true,
                ..step("a", "[1/2] RUN true")
            }],
            ..TraceUpdate::default()
        });
        assert_eq!(lines, ["#1 [1/2] RUN true", "#1 CACHED"]);
        let failing = Step {
            started: Some(2.0),
            ..step("b", "[2/2] RUN false")
        };
        trace.lines(&TraceUpdate {
            steps: vec![failing.clone()],
            logs: vec![StepLog {
                digest: "b".into(),
                at: 2.0,
                text: b"no newline".to_vec(),
            }],
            warnings: vec!["FromAsCasing".into()],
        });
        let lines = trace.lines(&TraceUpdate {
            steps: vec![Step {
                completed: Some(3.0),
                error: "exit code: 1".into(),
                ..failing
            }],
            ..TraceUpdate::default()
        });
        assert_eq!(lines, ["#2 no newline", "#2 ERROR: exit code: 1"]);
    }
}

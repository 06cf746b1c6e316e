//! The results table and JSON.

use serde_json::{json, Value};

use crate::baseline::BaselineRun;
use crate::broker::BrokerRun;
use crate::commands::CommandRun;
use crate::lag::LagRun;
use crate::people::{PeopleRun, READ_CLIENTS};
use crate::rebuild::RebuildRun;
use crate::stats::{round1, round3, Summary};

/// Commands/s through GraphQL ÷ raw inserts/s at the same concurrency.
pub const RATIO_TARGET: f64 = 0.5;
/// Projection lag p99 at the target rate, in milliseconds.
pub const LAG_P99_TARGET_MS: f64 = 100.0;
/// Lag p99 minus the broker's own send → received p99, in milliseconds.
pub const WAYFARER_SHARE_TARGET_MS: f64 = 30.0;
/// Rebuild speed, events per second.
pub const REBUILD_TARGET: f64 = 100_000.0;
/// `events verify` speed the auditors' issue asks for.
pub const VERIFY_TARGET: f64 = 200_000.0;

#[derive(Debug, Default)]
pub struct Results {
    pub baseline: Vec<BaselineRun>,
    pub commands: Vec<CommandRun>,
    pub lag: Option<LagRun>,
    pub broker: Option<BrokerRun>,
    pub broker_transactions: Option<BrokerRun>,
    pub rebuild: Option<RebuildRun>,
    pub people: Option<PeopleRun>,
    pub plan: Option<crate::plan::PlanRun>,
    pub bookings: Option<crate::bookings::BookingsRun>,
    pub social: Option<crate::social::SocialRun>,
    pub pg_connections_open: Option<i64>,
}

struct Row {
    metric: String,
    value: String,
    target: String,
    status: &'static str,
}

fn row(metric: impl Into<String>, value: impl Into<String>) -> Row {
    Row {
        metric: metric.into(),
        value: value.into(),
        target: String::new(),
        status: "",
    }
}

fn checked(metric: impl Into<String>, value: impl Into<String>, target: &str, met: bool) -> Row {
    Row {
        metric: metric.into(),
        value: value.into(),
        target: target.to_owned(),
        status: if met { "ok" } else { "MISSED" },
    }
}

/// A rate with its latency median and p99, e.g. "commands/s @4 clients" and its latencies.
fn rate_rows(
    rate: &str,
    latency_of: &str,
    at: &str,
    per_second: f64,
    latency: &Summary,
) -> [Row; 3] {
    [
        row(format!("{rate} {at}"), format!("{per_second:.0}")),
        row(
            format!("  {latency_of} p50 ms {at}"),
            format!("{:.2}", latency.p50_ms),
        ),
        row(
            format!("  {latency_of} p99 ms {at}"),
            format!("{:.2}", latency.p99_ms),
        ),
    ]
}

impl Results {
    fn baseline_for(&self, clients: usize) -> Option<&BaselineRun> {
        self.baseline.iter().find(|b| b.clients == clients)
    }

    fn ratio(&self, run: &CommandRun) -> Option<f64> {
        self.baseline_for(run.clients)
            .map(|b| run.per_second() / b.per_second().max(1e-9))
    }

    fn clients(&self) -> Vec<usize> {
        let mut clients: Vec<usize> = self
            .commands
            .iter()
            .map(|c| c.clients)
            .chain(self.baseline.iter().map(|b| b.clients))
            .collect();
        clients.sort_unstable();
        clients.dedup();
        clients
    }

    fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        for clients in self.clients() {
            let at = if clients == 1 {
                "@1 client".to_owned()
            } else {
                format!("@{clients} clients")
            };
            let command = self.commands.iter().find(|c| c.clients == clients);
            if let Some(run) = command {
                rows.extend(rate_rows(
                    "commands/s",
                    "command",
                    &at,
                    run.per_second(),
                    &run.latency,
                ));
                rows.push(checked(
                    format!("  command errors {at}"),
                    run.errors.to_string(),
                    "0",
                    run.errors == 0,
                ));
                rows.push(row(
                    format!("  projections drained s {at}"),
                    format!("{:.2}", run.drain.as_secs_f64()),
                ));
            }
            if let Some(base) = self.baseline_for(clients) {
                rows.extend(rate_rows(
                    "baseline inserts/s",
                    "baseline",
                    &at,
                    base.per_second(),
                    &base.latency,
                ));
                if base.errors > 0 {
                    rows.push(checked(
                        format!("  baseline errors {at}"),
                        base.errors.to_string(),
                        "0",
                        false,
                    ));
                }
            }
            if let Some(ratio) = command.and_then(|run| self.ratio(run)) {
                rows.push(checked(
                    format!("ratio commands/baseline {at}"),
                    format!("{ratio:.2}"),
                    ">= 0.50",
                    ratio >= RATIO_TARGET,
                ));
            }
        }
        if let Some(lag) = &self.lag {
            rows.push(checked(
                "lag: achieved commands/s",
                format!("{:.0}", lag.achieved_rate()),
                &format!(">= {:.0}", f64::from(lag.target_rate) * 0.98),
                lag.achieved_rate() >= f64::from(lag.target_rate) * 0.98,
            ));
            rows.push(row(
                "lag: commands measured",
                format!("{}/{}", lag.lag.count, lag.ok),
            ));
            rows.push(row("lag: p50 ms", format!("{:.1}", lag.lag.p50_ms)));
            rows.push(checked(
                "lag: p99 ms",
                format!("{:.1}", lag.lag.p99_ms),
                "<= 100",
                lag.lag.count > 0 && lag.lag.p99_ms <= LAG_P99_TARGET_MS,
            ));
            rows.push(row("lag: max ms", format!("{:.1}", lag.lag.max_ms)));
            rows.push(checked(
                "lag: timeouts (> 10 s)",
                lag.timeouts.to_string(),
                "0",
                lag.timeouts == 0,
            ));
            rows.push(row(
                "  relay (approx.) p50/p99 ms",
                format!("{:.1}/{:.1}", lag.relay_lag.p50_ms, lag.relay_lag.p99_ms),
            ));
            rows.push(row(
                "  execute p50/p99 ms",
                format!(
                    "{:.1}/{:.1}",
                    lag.command_latency.p50_ms, lag.command_latency.p99_ms
                ),
            ));
            rows.push(checked(
                "  command errors",
                lag.errors.to_string(),
                "0",
                lag.errors == 0,
            ));
        }
        for (label, broker) in [
            ("broker alone", &self.broker),
            ("broker alone, transactional", &self.broker_transactions),
        ] {
            let Some(broker) = broker else { continue };
            rows.push(row(
                format!("{label}: records/s sent"),
                format!("{:.0}", broker.achieved_rate()),
            ));
            rows.push(row(
                "  received by the 10 ms group",
                format!("{}/{}", broker.received, broker.sent),
            ));
            rows.push(row(
                "  acknowledged p50/p99 ms",
                format!(
                    "{:.1}/{:.1}",
                    broker.acknowledged.p50_ms, broker.acknowledged.p99_ms
                ),
            ));
            rows.push(row(
                "  sent → received p50/p99 ms",
                format!(
                    "{:.1}/{:.1}",
                    broker.delivered.p50_ms, broker.delivered.p99_ms
                ),
            ));
        }
        if let (Some(lag), Some(broker)) = (&self.lag, &self.broker) {
            let share = lag.lag.p99_ms - broker.delivered.p99_ms;
            rows.push(checked(
                "Wayfarer's share of lag p99 ms (lag − broker)",
                format!("{share:.1}"),
                "<= 30",
                share <= WAYFARER_SHARE_TARGET_MS,
            ));
        }
        if let Some(rebuild) = &self.rebuild {
            rows.push(checked(
                "rebuild events/s",
                format!("{:.0}", rebuild.events_per_second()),
                ">= 100000",
                rebuild.events_per_second() >= REBUILD_TARGET,
            ));
            rows.push(row(
                "  rebuild seconds",
                format!(
                    "{:.2} ({} events)",
                    rebuild.rebuild_elapsed.as_secs_f64(),
                    rebuild.events
                ),
            ));
            rows.push(checked(
                "  rebuilt itineraries",
                rebuild.rows.to_string(),
                &rebuild.aggregates.to_string(),
                rebuild.rows == rebuild.aggregates as i64,
            ));
            rows.push(row(
                "rebuild events/s, OpenSearch",
                format!(
                    "{:.0}",
                    crate::rebuild::rate(rebuild.events, rebuild.search_elapsed)
                ),
            ));
            rows.push(row(
                "rebuild events/s, Redis",
                format!(
                    "{:.0}",
                    crate::rebuild::rate(rebuild.events, rebuild.cache_elapsed)
                ),
            ));
            let reads = &rebuild.reads_during_rebuild;
            rows.push(row(
                "reads during a rebuild p50/p99/max ms",
                format!(
                    "{:.2} / {:.2} / {:.1} ({} reads)",
                    reads.p50_ms, reads.p99_ms, reads.max_ms, reads.count
                ),
            ));
            rows.push(row(
                "checkpoint events/s",
                format!(
                    "{:.0}",
                    crate::rebuild::rate(rebuild.events, rebuild.checkpoint_elapsed)
                ),
            ));
            let verify = crate::rebuild::rate(rebuild.events, rebuild.verify_elapsed);
            rows.push(checked(
                "verify events/s",
                format!("{verify:.0}"),
                ">= 200000",
                verify >= VERIFY_TARGET,
            ));
        }
        if let Some(people) = &self.people {
            rows.extend(rate_rows(
                "logins/s",
                "login",
                "@2 clients",
                people.logins_per_second(),
                &people.login_latency,
            ));
            rows.extend(rate_rows(
                "user(id) reads/s",
                "read",
                &format!("@{READ_CLIENTS} clients"),
                people.reads_per_second(),
                &people.read_latency,
            ));
            rows.push(checked(
                "  people errors",
                (people.login_errors + people.read_errors).to_string(),
                "0",
                people.login_errors + people.read_errors == 0,
            ));
        }
        if let Some(plan) = &self.plan {
            for (name, latency) in [
                (
                    "expensesSummary (1,000 expenses, 5 currencies)",
                    &plan.summary_latency,
                ),
                ("itineraryAsOf (5,000 events)", &plan.as_of_latency),
                ("change → collaborator @100/s", &plan.delivery_latency),
            ] {
                rows.push(row(
                    format!("{name} p50 ms"),
                    format!("{:.2}", latency.p50_ms),
                ));
                rows.push(row(
                    format!("{name} p99 ms"),
                    format!("{:.2}", latency.p99_ms),
                ));
            }
            rows.push(row(
                "  changes committed / messages heard",
                format!("{} / {}", plan.changes, plan.delivered),
            ));
            rows.push(checked(
                "  plan errors",
                plan.errors.to_string(),
                "0",
                plan.errors == 0,
            ));
        }
        if let Some(b) = &self.bookings {
            for (name, latency) in [
                ("booking requested → confirmed, steady", &b.steady_confirmed),
                ("booking requested → in itinerary, steady", &b.steady_added),
                ("booking requested → confirmed, burst", &b.burst_confirmed),
                ("booking resumed after SIGKILL", &b.resume),
            ] {
                rows.push(row(
                    format!("{name} p50 / p99 ms"),
                    format!("{:.1} / {:.1}", latency.p50_ms, latency.p99_ms),
                ));
            }
            rows.push(row(
                "bookings/s end to end, burst",
                format!("{:.1}", b.burst_per_second),
            ));
            rows.push(row(
                "  in flight at the kill / lease ms",
                format!("{} / {}", b.in_flight_at_kill, b.lease.as_millis()),
            ));
            rows.push(row(
                "  bookings / failed (supplier errors)",
                format!("{} / {}", b.bookings, b.failed),
            ));
            rows.push(checked(
                "  booking request errors",
                b.errors.to_string(),
                "0",
                b.errors == 0,
            ));
        }
        if let Some(s) = &self.social {
            rows.push(row(
                format!("post fanned out to {} feeds p50 / p99 ms", s.followers),
                format!("{:.1} / {:.1}", s.fan_out.p50_ms, s.fan_out.p99_ms),
            ));
            rows.push(row(
                format!("feed reads/s ({} clients)", crate::social::READ_CLIENTS),
                format!("{:.0}", s.feed_reads_per_second()),
            ));
            rows.push(row(
                "feed p50 / p99 ms",
                format!(
                    "{:.2} / {:.2}",
                    s.feed_latency.p50_ms, s.feed_latency.p99_ms
                ),
            ));
            for (order, latency) in &s.reviews_latency {
                rows.push(row(
                    format!(
                        "reviewsForPlace {order} ({} reviews) p50 / p99 ms",
                        s.reviews
                    ),
                    format!("{:.2} / {:.2}", latency.p50_ms, latency.p99_ms),
                ));
            }
            rows.push(checked(
                "  feed / review read errors",
                format!("{} / {}", s.feed_errors, s.review_errors),
                "0 / 0",
                s.feed_errors == 0 && s.review_errors == 0,
            ));
        }
        rows
    }

    pub fn table(&self) -> String {
        let rows = self.rows();
        let width = rows
            .iter()
            .map(|r| r.metric.chars().count())
            .max()
            .unwrap_or(0)
            .max(6);
        let mut out = format!(
            "{:<width$}  {:>12}  {:<9}  {}\n",
            "metric", "value", "target", "status"
        );
        for r in rows {
            out.push_str(
                format!(
                    "{:<width$}  {:>12}  {:<9}  {}",
                    r.metric, r.value, r.target, r.status
                )
                .trim_end(),
            );
            out.push('\n');
        }
        out
    }

    pub fn to_json(&self, config: Value) -> Value {
        let commands: Vec<Value> = self
            .commands
            .iter()
            .map(|run| {
                json!({
                    "clients": run.clients,
                    "commands_per_sec": round1(run.per_second()),
                    "ok": run.ok,
                    "errors": run.errors,
                    "error_samples": run.error_samples.0,
                    "elapsed_s": round3(run.elapsed.as_secs_f64()),
                    "latency": run.latency.to_json(),
                    "projections_drained_s": round3(run.drain.as_secs_f64()),
                    "ratio_to_baseline": self.ratio(run).map(round3),
                })
            })
            .collect();
        let baseline: Vec<Value> = self
            .baseline
            .iter()
            .map(|run| {
                json!({
                    "clients": run.clients,
                    "inserts_per_sec": round1(run.per_second()),
                    "ok": run.ok,
                    "errors": run.errors,
                    "error_samples": run.error_samples.0,
                    "elapsed_s": round3(run.elapsed.as_secs_f64()),
                    "latency": run.latency.to_json(),
                })
            })
            .collect();
        let lag = self.lag.as_ref().map(|lag| {
            json!({
                "target_rate": lag.target_rate,
                "tasks": lag.tasks,
                "achieved_rate": round1(lag.achieved_rate()),
                "issued": lag.issued,
                "ok": lag.ok,
                "errors": lag.errors,
                "error_samples": lag.error_samples.0,
                "skipped": lag.skipped,
                "elapsed_s": round3(lag.elapsed.as_secs_f64()),
                "lag": lag.lag.to_json(),
                "relay_lag_approx": lag.relay_lag.to_json(),
                "execute_latency": lag.command_latency.to_json(),
                "timeouts": lag.timeouts,
                "polls": lag.polls,
                "worst_by_second_ms": lag.worst_by_second_ms,
            })
        });
        let broker_json = |b: &BrokerRun| {
            json!({
                "producer": format!("{:?}", b.mode).to_lowercase(),
                "rate": b.rate,
                "sent": b.sent,
                "achieved_rate": round1(b.achieved_rate()),
                "received": b.received,
                "acknowledged": b.acknowledged.to_json(),
                "sent_to_received": b.delivered.to_json(),
            })
        };
        let broker = self.broker.as_ref().map(broker_json);
        let broker_transactions = self.broker_transactions.as_ref().map(broker_json);
        let rebuild = self.rebuild.as_ref().map(|r| {
            json!({
                "events": r.events,
                "aggregates": r.aggregates,
                "events_per_sec": round1(r.events_per_second()),
                "rebuild_s": round3(r.rebuild_elapsed.as_secs_f64()),
                "insert_s": round3(r.insert_elapsed.as_secs_f64()),
                "insert_events_per_sec": round1(r.insert_per_second()),
                "itinerary_rows": r.rows,
                "item_rows": r.item_rows,
                "search_events_per_sec": round1(crate::rebuild::rate(r.events, r.search_elapsed)),
                "cache_events_per_sec": round1(crate::rebuild::rate(r.events, r.cache_elapsed)),
                "reads_during_rebuild": r.reads_during_rebuild.to_json(),
                "checkpoint_events_per_sec": round1(crate::rebuild::rate(r.events, r.checkpoint_elapsed)),
                "verify_events_per_sec": round1(crate::rebuild::rate(r.events, r.verify_elapsed)),
            })
        });
        let ratios_met = self
            .commands
            .iter()
            .filter_map(|run| self.ratio(run))
            .all(|ratio| ratio >= RATIO_TARGET);
        json!({
            "date": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "nproc": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            "config": config,
            "commands": commands,
            "baseline": baseline,
            "lag": lag,
            "broker": broker,
            "broker_transactions": broker_transactions,
            "rebuild": rebuild,
            "people": self.people.as_ref().map(|p| json!({
                "logins": p.logins,
                "login_errors": p.login_errors,
                "logins_per_sec": round1(p.logins_per_second()),
                "login_latency": p.login_latency.to_json(),
                "read_clients": READ_CLIENTS,
                "reads": p.reads,
                "read_errors": p.read_errors,
                "reads_per_sec": round1(p.reads_per_second()),
                "read_latency": p.read_latency.to_json(),
            })),
            "plan": self.plan.as_ref().map(|p| json!({
                "expenses_summary_latency": p.summary_latency.to_json(),
                "as_of_latency": p.as_of_latency.to_json(),
                "delivery_latency": p.delivery_latency.to_json(),
                "changes": p.changes,
                "delivered": p.delivered,
                "errors": p.errors,
            })),
            "bookings": self.bookings.as_ref().map(crate::bookings::summary_json),
            "social": self.social.as_ref().map(crate::social::summary_json),
            "pg_connections_open_after_commands": self.pg_connections_open,
            "targets": {
                "ratio_min": RATIO_TARGET,
                "ratio_met": ratios_met,
                "lag_p99_ms_max": LAG_P99_TARGET_MS,
                "lag_met": self.lag.as_ref().map(|l| l.lag.count > 0 && l.lag.p99_ms <= LAG_P99_TARGET_MS && l.timeouts == 0),
                "wayfarer_share_p99_ms_max": WAYFARER_SHARE_TARGET_MS,
                "wayfarer_share_p99_ms": self.lag.as_ref().zip(self.broker.as_ref()).map(|(l, b)| round1(l.lag.p99_ms - b.delivered.p99_ms)),
                "rebuild_events_per_sec_min": REBUILD_TARGET,
                "rebuild_met": self.rebuild.as_ref().map(|r| r.events_per_second() >= REBUILD_TARGET),
                "verify_events_per_sec_min": VERIFY_TARGET,
                "verify_met": self.rebuild.as_ref().map(|r| crate::rebuild::rate(r.events, r.verify_elapsed) >= VERIFY_TARGET),
            },
        })
    }
}

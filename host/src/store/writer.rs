//! Group commit: one task owns the write path, runs queued jobs in one transaction per batch and
//! replies to each caller only after that transaction is durable.
//!
//! With synchronous=FULL a SQLite commit costs one fsync (milliseconds on ordinary disks), so one
//! commit per request caps throughput at a few hundred per second. Requests that arrive while a batch
//! commits form the next batch, so batch size follows concurrency.
//!
//! Contract for jobs: a job returns `JobError::Rejected` only before its first write. A database
//! error aborts the batch. The writer then rolls back and runs each job of the batch in its own
//! transaction, so one bad job cannot fail its neighbours.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::{AnyConnection, Transaction};
use tokio::sync::{mpsc, oneshot};
use tracing::{Instrument, debug, error, info_span, warn};

use super::idempotency::{self, IdempotencyClaim, StoredResponse};
use super::ledger::{self, LedgerHead};
use super::{Store, StoreError};
use crate::clock::Clock;
use crate::domain::rejection::Rejection;

/// Upper bound on jobs per transaction, so one transaction never grows without limit.
pub const MAX_BATCH: usize = 1024;

/// A successful job's response: HTTP status and JSON body, stored as is for idempotent replays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobOutput {
    pub status: u16,
    pub body: String,
}

impl JobOutput {
    pub fn json(status: u16, value: &impl serde::Serialize) -> JobOutput {
        JobOutput { status, body: serde_json::to_string(value).expect("response serialises to JSON") }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("rejected: {0}")]
    Rejected(Rejection),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for JobError {
    fn from(err: sqlx::Error) -> JobError {
        JobError::Store(StoreError::Database(err))
    }
}

impl From<Rejection> for JobError {
    fn from(rejection: Rejection) -> JobError {
        JobError::Rejected(rejection)
    }
}

/// Error returned to the caller of [`Writer::submit`].
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("rejected: {0}")]
    Rejected(Rejection),
    #[error("idempotency key reused with a different request")]
    IdempotencyConflict,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writer task stopped")]
    WriterStopped,
}

/// The transaction a job runs in, with the ledger head and the batch's clock reading.
pub struct WriteContext {
    pub tx: Transaction<'static, sqlx::Any>,
    head: LedgerHead,
    now: DateTime<Utc>,
}

impl WriteContext {
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Returns the batch instant as RFC 3339 in UTC.
    pub fn now_rfc3339(&self) -> String {
        self.now.to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    /// Appends a ledger entry for `entity_key` whose payload is the canonical JSON of `state`.
    pub async fn record(&mut self, actor: &str, action: &str, entity_key: &str, state: &impl serde::Serialize) -> Result<(), StoreError> {
        let payload = serde_json::to_string(state).expect("ledger payload serialises to JSON");
        let recorded_at = self.now_rfc3339();
        ledger::append(&mut self.tx, &mut self.head, &recorded_at, actor, action, entity_key, payload).await
    }
}

pub type JobFuture<'c> = Pin<Box<dyn Future<Output = Result<JobOutput, JobError>> + Send + 'c>>;

/// A unit of work for the writer. Implementors check first and write after (see the module docs).
pub trait WriteJob: Send + 'static {
    /// Names the job in logs, e.g. `invoice.issue`.
    fn name(&self) -> &'static str;

    fn run<'c>(self: Box<Self>, ctx: &'c mut WriteContext) -> JobFuture<'c>;

    /// Makes a fresh copy for a re-run after a batch rollback.
    fn retry_copy(&self) -> Box<dyn WriteJob>;
}

struct Submission {
    job: Box<dyn WriteJob>,
    claim: Option<IdempotencyClaim>,
    reply: oneshot::Sender<Result<JobOutput, WriteError>>,
}

/// Handle to the writer task. Cloning is cheap; the task stops when every handle is dropped.
#[derive(Clone)]
pub struct Writer {
    sender: mpsc::Sender<Submission>,
}

impl Writer {
    /// Starts the writer task on the current tokio runtime.
    pub fn spawn(store: Store, clock: Clock) -> Writer {
        let (sender, receiver) = mpsc::channel(MAX_BATCH * 4);
        tokio::spawn(run_writer(store, clock, receiver));
        Writer { sender }
    }

    /// Queues `job` and waits until its batch is committed (or the job rejected).
    pub async fn submit(&self, job: Box<dyn WriteJob>, claim: Option<IdempotencyClaim>) -> Result<JobOutput, WriteError> {
        let (reply, answer) = oneshot::channel();
        self.sender.send(Submission { job, claim, reply }).await.map_err(|_| WriteError::WriterStopped)?;
        answer.await.map_err(|_| WriteError::WriterStopped)?
    }
}

async fn run_writer(store: Store, clock: Clock, mut receiver: mpsc::Receiver<Submission>) {
    let mut batch_id: u64 = 0;
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(submission) => batch.push(submission),
                Err(_) => break,
            }
        }

        batch_id += 1;
        let span = info_span!("writer.batch", batch_id, jobs = batch.len());
        run_batch(&store, &clock, batch).instrument(span).await;
    }
    debug!("writer task stopped: every handle dropped");
}

/// The outcome of one job before its batch commits.
enum Pending {
    Done(JobOutput),
    Replayed(JobOutput),
    Failed(WriteError),
}

async fn run_batch(store: &Store, clock: &Clock, batch: Vec<Submission>) {
    let retries: Vec<Box<dyn WriteJob>> = batch.iter().map(|submission| submission.job.retry_copy()).collect();
    let (jobs, waiters): (Vec<_>, Vec<_>) =
        batch.into_iter().map(|submission| ((submission.job, submission.claim.clone()), (submission.claim, submission.reply))).unzip();

    match run_jobs_in_one_transaction(store, clock, jobs).await {
        Ok(outcomes) => {
            for ((_, reply), outcome) in waiters.into_iter().zip(outcomes) {
                let _ = reply.send(match outcome {
                    Pending::Done(output) | Pending::Replayed(output) => Ok(output),
                    Pending::Failed(err) => Err(err),
                });
            }
        }
        Err(err) => {
            warn!(error = %err, jobs = waiters.len(), "batch failed; running its jobs one per transaction");
            for (job, (claim, reply)) in retries.into_iter().zip(waiters) {
                let outcome = run_jobs_in_one_transaction(store, clock, vec![(job, claim)]).await;
                let _ = reply.send(match outcome {
                    Ok(mut outcomes) => match outcomes.pop() {
                        Some(Pending::Done(output) | Pending::Replayed(output)) => Ok(output),
                        Some(Pending::Failed(err)) => Err(err),
                        None => Err(WriteError::WriterStopped),
                    },
                    Err(err) => {
                        error!(error = %err, "write job failed in its own transaction");
                        Err(WriteError::Store(err))
                    }
                });
            }
        }
    }
}

/// Runs jobs in one transaction. Returns Err when the transaction must be rolled back as a whole.
async fn run_jobs_in_one_transaction(
    store: &Store,
    clock: &Clock,
    jobs: Vec<(Box<dyn WriteJob>, Option<IdempotencyClaim>)>,
) -> Result<Vec<Pending>, StoreError> {
    let mut tx = store.pool().begin().await?;
    let head = ledger::lock_head(&mut tx).await?;
    let mut ctx = WriteContext { tx, head, now: clock.now() };
    let first_seq = ctx.head.seq;

    let mut outcomes = Vec::with_capacity(jobs.len());
    for (job, claim) in jobs {
        let name = job.name();
        if let Some(claim) = &claim {
            match idempotency::find(ctx.conn(), claim).await? {
                Some(StoredResponse::Same(output)) => {
                    outcomes.push(Pending::Replayed(output));
                    continue;
                }
                Some(StoredResponse::Different) => {
                    outcomes.push(Pending::Failed(WriteError::IdempotencyConflict));
                    continue;
                }
                None => {}
            }
        }

        match job.run(&mut ctx).await {
            Ok(output) => {
                if let Some(claim) = &claim {
                    let created_at = ctx.now_rfc3339();
                    idempotency::store(ctx.conn(), claim, &output, &created_at).await?;
                }
                outcomes.push(Pending::Done(output));
            }
            Err(JobError::Rejected(rejection)) => {
                debug!(job = name, code = %rejection.code, "write job rejected");
                outcomes.push(Pending::Failed(WriteError::Rejected(rejection)));
            }
            Err(JobError::Store(err)) => {
                warn!(job = name, error = %err, "write job failed; rolling back its batch");
                return Err(err);
            }
        }
    }

    if ctx.head.seq != first_seq {
        ledger::store_head(&mut ctx.tx, &ctx.head).await?;
    }
    ctx.tx.commit().await?;
    Ok(outcomes)
}

//! Executions as the public API lists them (`GET /api/v1/executions`), with n8n 2.41.1's own
//! vocabularies as enums: `ExecutionStatusList` and `WorkflowExecuteModeList` of `n8n-workflow`.

use std::fmt;

use serde::Deserialize;
use serde_json::Value;

/// `ExecutionStatus` of n8n-workflow 2.41.1, exactly its eight values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecutionStatus {
    New,
    Running,
    Waiting,
    Success,
    Error,
    Crashed,
    Canceled,
    /// n8n's own "cannot tell" (e.g. an execution cut short before it recorded a status).
    Unknown,
}

impl ExecutionStatus {
    /// n8n's `isTerminalExecutionStatus`: the execution will not change any more.
    pub fn is_terminal(self) -> bool {
        matches!(self, ExecutionStatus::Success | ExecutionStatus::Error | ExecutionStatus::Crashed | ExecutionStatus::Canceled)
    }
}

/// n8n's word for it (`success`, `error`, …).
impl fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format!("{self:?}").to_lowercase())
    }
}

/// `WorkflowExecuteMode` of n8n-workflow 2.41.1: what started the execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecutionMode {
    Cli,
    Error,
    Integrated,
    Internal,
    Manual,
    Retry,
    Trigger,
    Webhook,
    Evaluation,
    Chat,
    Agent,
}

/// One execution from the public API (newest first in listings).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Execution {
    #[serde(deserialize_with = "id_text")]
    pub id: String,
    pub status: ExecutionStatus,
    #[serde(default)]
    pub finished: bool,
    pub mode: ExecutionMode,
    pub started_at: Option<String>,
    pub stopped_at: Option<String>,
    /// `data` with `includeData=true` (`resultData.runData.<node>[0].data.main[0][0].json`, `resultData.error`).
    /// A failed HTTP Request node keeps its request here (`resultData.error.context.request`): headers it
    /// got from a credential are `**hidden**`, headers written into the node are kept verbatim — never
    /// print it whole.
    #[serde(default, deserialize_with = "non_null")]
    pub data: Option<Value>,
}

impl Execution {
    /// One entry of a listing; an id, status or mode n8n 2.41.1 does not have is an error naming it.
    pub fn from_json(v: &Value) -> Result<Execution, String> {
        Execution::deserialize(v).map_err(|e| {
            let id = v.get("id").map(Value::to_string).unwrap_or_else(|| "without id".into());
            format!("execution {id}: {e}")
        })
    }
}

/// n8n answers ids as strings; older releases as numbers.
fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!("id is neither a string nor a number: {other}"))),
    }
}

fn non_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Ok(Some(Value::deserialize(d)?).filter(|v| !v.is_null()))
}

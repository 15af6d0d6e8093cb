//! A report as a typed table: the host's side of the `report-table` record that report-format
//! plugins receive, and its JSON form for `format=json`.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::domain::money::Fen;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    Text,
    Integer,
    /// Integer fen.
    Amount,
    /// YYYY-MM-DD
    Date,
    /// A decimal string such as "0.1250".
    Rate,
}

#[derive(Clone, Debug, Serialize)]
pub struct Column {
    /// Canonical field name, e.g. `total_amount`.
    pub name: &'static str,
    /// Chinese header, e.g. 价税合计.
    pub label: &'static str,
    pub kind: ColumnKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Empty,
    Text(String),
    Integer(i64),
    Amount(Fen),
    Date(String),
    Rate(String),
}

impl Cell {
    /// Returns the cell as JSON: amounts as yuan strings with two decimals, like the rest of the API.
    fn to_json(&self) -> Value {
        match self {
            Cell::Empty => Value::Null,
            Cell::Text(text) | Cell::Date(text) | Cell::Rate(text) => Value::String(text.clone()),
            Cell::Integer(number) => json!(number),
            Cell::Amount(fen) => Value::String(fen.to_string()),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ReportTable {
    /// Stable id of the report, e.g. `monthly-sales`.
    pub report_id: String,
    /// Chinese title.
    pub title: String,
    /// The prefecture the report covers, or the province code 420000 for all of them.
    pub prefecture_code: String,
    pub period_from: String,
    pub period_to: String,
    /// RFC 3339 instant.
    pub generated_at: String,
    pub columns: Vec<Column>,
    /// One cell per column, in column order.
    pub rows: Vec<Vec<Cell>>,
    pub totals: Option<Vec<Cell>>,
}

impl ReportTable {
    /// Builds the JSON body of `format=json`: the columns, and each row as an object keyed by
    /// column name.
    pub fn to_json(&self) -> Value {
        let object = |cells: &Vec<Cell>| -> Value {
            let map: Map<String, Value> = self.columns.iter().zip(cells).map(|(column, cell)| (column.name.to_string(), cell.to_json())).collect();
            Value::Object(map)
        };
        json!({
            "report_id": self.report_id,
            "title": self.title,
            "prefecture_code": self.prefecture_code,
            "period_from": self.period_from,
            "period_to": self.period_to,
            "generated_at": self.generated_at,
            "columns": self.columns,
            "rows": self.rows.iter().map(object).collect::<Vec<_>>(),
            "totals": self.totals.as_ref().map(object),
        })
    }

    /// Bytes of text in the table, which the size cap on a plugin call's input counts; numbers
    /// count 8 bytes each.
    pub fn text_bytes(&self) -> usize {
        let cell_bytes = |cell: &Cell| match cell {
            Cell::Empty => 1,
            Cell::Text(text) | Cell::Date(text) | Cell::Rate(text) => text.len(),
            Cell::Integer(_) | Cell::Amount(_) => 8,
        };
        let header = self.report_id.len() + self.title.len() + self.prefecture_code.len() + self.period_from.len() + self.period_to.len() + self.generated_at.len();
        let columns: usize = self.columns.iter().map(|column| column.name.len() + column.label.len() + 1).sum();
        let rows: usize = self.rows.iter().chain(self.totals.iter()).flatten().map(cell_bytes).sum();
        header + columns + rows
    }
}

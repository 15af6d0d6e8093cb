//! The server's source of time. Tests may pin it to reproduce invoices of a past date; production
//! configuration refuses that (see `config`).

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::calendar::legal_date;

#[derive(Clone, Copy, Debug)]
pub enum Clock {
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(instant) => *instant,
        }
    }

    /// Returns today's legal date in China (Asia/Shanghai), whatever the server's time zone.
    pub fn today(&self) -> NaiveDate {
        legal_date(self.now())
    }
}

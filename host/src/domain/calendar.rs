//! China's legal date: the 开票日期 of an invoice is the calendar date in China, whatever the server's time zone.
//!
//! China (Asia/Shanghai) has kept UTC+8 without daylight saving since its last daylight-saving period ended
//! in September 1991. A fixed offset therefore gives the Asia/Shanghai date for every instant from 1992 on,
//! which covers every date this system handles, without a time-zone database.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};

/// UTC+8 in seconds.
const CHINA_OFFSET_SECONDS: i32 = 8 * 3600;

/// Returns China's offset from UTC, +08:00.
pub fn china_offset() -> FixedOffset {
    FixedOffset::east_opt(CHINA_OFFSET_SECONDS).expect("+08:00 is a valid offset")
}

/// Returns the calendar date in China at `instant`.
pub fn legal_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&china_offset()).date_naive()
}

/// Tells whether two dates fall in the same calendar month of the same year, e.g. to decide whether an
/// invoice may still be voided or needs a credit invoice.
pub fn same_calendar_month(a: NaiveDate, b: NaiveDate) -> bool {
    a.year() == b.year() && a.month() == b.month()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instant(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn offset_is_eight_hours() {
        assert_eq!(china_offset().local_minus_utc(), 8 * 3600);
        assert_eq!(china_offset().to_string(), "+08:00");
    }

    #[test]
    fn legal_date_switches_at_utc_sixteen() {
        let cases = [
            ("2017-07-18T15:59:59Z", "2017-07-18"),
            ("2017-07-18T16:00:00Z", "2017-07-19"),
            ("2017-07-18T00:00:00Z", "2017-07-18"),
            ("2017-07-18T23:59:59Z", "2017-07-19"),
            ("2017-12-31T16:00:00Z", "2018-01-01"),
            ("2017-12-31T15:59:59Z", "2017-12-31"),
            ("2020-02-28T16:00:00Z", "2020-02-29"),
            ("2017-07-19T00:30:00+08:00", "2017-07-19"),
            ("2017-07-18T20:00:00-05:00", "2017-07-19"),
        ];
        for (moment, day) in cases {
            assert_eq!(legal_date(instant(moment)), date(day), "at {moment}");
        }
    }

    #[test]
    fn same_calendar_month_checks_month_and_year() {
        let cases = [
            ("2017-07-01", "2017-07-31", true),
            ("2017-07-19", "2017-07-19", true),
            ("2017-07-31", "2017-08-01", false),
            ("2017-06-30", "2017-07-01", false),
            ("2017-12-31", "2018-01-01", false),
            ("2017-07-19", "2018-07-19", false),
            ("2020-02-29", "2020-02-01", true),
        ];
        for (a, b, same) in cases {
            assert_eq!(same_calendar_month(date(a), date(b)), same, "{a} and {b}");
            assert_eq!(same_calendar_month(date(b), date(a)), same, "{b} and {a}");
        }
    }

    #[test]
    fn legal_month_differs_from_utc_month_at_boundary() {
        // 2017-07-31T16:30Z is still July in UTC but already August in China.
        let issued = date("2017-07-31");
        assert!(!same_calendar_month(
            issued,
            legal_date(instant("2017-07-31T16:30:00Z"))
        ));
        assert!(same_calendar_month(
            issued,
            legal_date(instant("2017-07-31T15:30:00Z"))
        ));
    }
}

//! Pure domain rules of the 机动车销售统一发票: money, 大写 amounts, VAT, VIN, identifiers and the legal date. No I/O.

pub mod calendar;
pub mod identifiers;
pub mod invoice;
pub mod money;
pub mod rejection;
pub mod uppercase;
pub mod vat;
pub mod vin;

/// A problem the API reports to a user: a stable English code and a Chinese message that states what to fix.
pub trait UserFacing {
    /// Stable snake_case code that clients may match on, e.g. `vin_check_digit_invalid`.
    fn code(&self) -> &'static str;

    /// Simplified Chinese message that names the field and states what to do,
    /// e.g. "车辆识别代号第9位校验位应为 X，实际为 1，请核对车辆合格证".
    fn message_zh(&self) -> String;
}

//! A printer driver for an interface version the host does not support.

wit_bindgen::generate!({ path: "wit", world: "printer" });

struct Driver;

impl exports::mvis::plugin::printer_driver::Guest for Driver {
    fn render(vin: String) -> Vec<u8> {
        vin.into_bytes()
    }
}

export!(Driver);

//! A printer driver that misbehaves on request, to test the host's limits. The invoice's
//! remarks pick the behaviour; any other invoice prints one line naming its VIN.

use mvis_plugin_sdk::print::{Guest, PrintJob, PrintOutput, PrinterProfile};
use mvis_plugin_sdk::{Failure, failure};

struct Driver;

impl Guest for Driver {
    fn render(job: PrintJob) -> Result<PrintOutput, Failure> {
        match job.invoice.remarks.as_str() {
            "loop" => loop_forever(),
            "grow-memory" => grow_memory(),
            "panic" => panic!("test plugin panics on request"),
            "huge-output" => Ok(PrintOutput::DeviceBytes(vec![b'x'; 8 << 20])),
            "failure" => Err(failure("test_failure", Some("remarks"), "测试插件按要求返回错误")),
            _ => Ok(PrintOutput::DeviceBytes(format!("TEST PRINTER {}\r\n", job.invoice.vin).into_bytes())),
        }
    }

    fn calibration(_profile: PrinterProfile, _settings: String) -> Result<PrintOutput, Failure> {
        Ok(PrintOutput::DeviceBytes(b"TEST CALIBRATION\r\n".to_vec()))
    }
}

fn loop_forever() -> ! {
    let mut counter = 0u64;
    loop {
        counter = std::hint::black_box(counter.wrapping_add(1));
    }
}

/// Allocates 1 MiB blocks until the host refuses to grow memory.
fn grow_memory() -> ! {
    let mut blocks = Vec::new();
    loop {
        blocks.push(std::hint::black_box(vec![1u8; 1 << 20]));
    }
}

mvis_plugin_sdk::export_printer!(Driver);

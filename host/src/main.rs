//! The `mvis` binary: server, administration and load tool in one.

fn main() -> std::process::ExitCode {
    mvis::cli::main()
}

//! The `gongkai` binary; everything it does is in the library (`src/lib.rs`).

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    gongkai::main()
}

//! Rebuild the store when a migration is added or changed: `sqlx_macros::migrate!` embeds the folder
//! at compile time, and cargo does not watch it otherwise.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}

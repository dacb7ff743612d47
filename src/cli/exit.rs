//! Exit codes, graded by result (documented in the README).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Every audited workload passes.
    Pass = 0,
    /// Something went wrong while running (cannot write the output…).
    RuntimeError = 1,
    /// Usage error or bad input (missing/malformed snapshot, unknown cluster or service).
    BadInput = 2,
    /// At least one workload fails.
    Fail = 3,
    /// None fails, but at least one is unknown.
    Unknown = 4,
}

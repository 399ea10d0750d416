//! Integration tests: one binary, one module per area.

// The paper's 30 classifiers: probabilities, AUCs, DeLong interval, loader errors.
mod model_reference;
// `radscored evaluate` run as a process.
mod evaluate_cli;

//! Background work that runs after business transactions commit: the outbox worker
//! (emails now; reminder and dunning sweeps later call the same services).

pub mod outbox;

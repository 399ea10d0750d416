//! The durable store: instances of the shared DICOM fixture in and out, the free-space
//! watermark, crash consistency against a writer killed with SIGKILL, the journal's atomic
//! steps, the outbox's acknowledgement rule and retention. The database is read directly with
//! SQL and the files with sha2, independently of the spool's own accessors.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use radscored::spool::disk::available_bytes;
use radscored::spool::{
    InstanceMeta, OutboxMessage, Overview, Qos, Spool, SpoolError, StateNote, StoreOutcome, StudyState,
    Transition,
};
use sha2::{Digest, Sha256};

use crate::mosquitto::{test_binary, wait_for};
use crate::util::shared;

const STUDY_UID: &str = "1.2.826.0.1.3680043.8.498.11111";

/// The CT slices of the lung2-crop fixture, as Part 10 bytes.
fn ct_files() -> Vec<Vec<u8>> {
    let dir = shared("fixtures/dicom/lung2-crop/ct");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!("{} is missing ({e}): see HELPERS.md for the shared fixtures", dir.display())
        })
        .map(|e| e.expect("directory entry").path())
        .collect();
    paths.sort();
    assert!(paths.len() > 3, "lung2-crop/ct has too few files");
    paths.iter().map(|p| std::fs::read(p).expect("read a fixture slice")).collect()
}

fn meta(study_uid: &str, sop: usize) -> InstanceMeta {
    InstanceMeta {
        study_uid: study_uid.to_owned(),
        series_uid: format!("{study_uid}.2"),
        sop_instance_uid: format!("{study_uid}.3.{sop}"),
        sop_class_uid: "1.2.840.10008.5.1.4.1.1.2".to_owned(),
        modality: Some("CT".to_owned()),
        study_key: format!("key-{}", study_uid.replace('.', "")),
        source: "dicom:BARSCU".to_owned(),
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir).expect("list a spool folder").map(|e| e.expect("entry").path()).collect()
}

fn message(id: &str, study: Option<radscored::spool::StudyId>, bytes: usize) -> OutboxMessage {
    OutboxMessage {
        message_id: id.to_owned(),
        topic: format!("radscore/v1/s/d/results/{id}"),
        payload: vec![b'x'; bytes],
        qos: Qos::AtLeastOnce,
        retain: false,
        study,
    }
}

#[test]
fn instances_round_trip_under_random_names() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ct = ct_files();
    let spool = Spool::open(dir.path(), 0).expect("open");
    let mut study = None;
    for (i, bytes) in ct.iter().take(3).enumerate() {
        let stored = spool.store_instance(bytes, &meta(STUDY_UID, i)).expect("store");
        assert_eq!(stored.outcome, StoreOutcome::New);
        assert!(!stored.reopened);
        study = Some(stored.study);
    }
    let study = study.expect("a study");
    drop(spool);

    let spool = Spool::open(dir.path(), 0).expect("reopen");
    let files = spool.instance_files(study).expect("list");
    assert_eq!(files.len(), 3);
    for (i, file) in files.iter().enumerate() {
        assert_eq!(std::fs::read(&file.path).expect("read back"), ct[i], "instance {i}");
        assert_eq!(file.meta, meta(STUDY_UID, i));
        assert_eq!(file.size_bytes, ct[i].len() as u64);
        let name = file.path.file_name().and_then(|n| n.to_str()).expect("utf-8 name");
        assert!(!name.contains("1.2.") && !name.contains(STUDY_UID), "{name}");
        assert!(file.path.starts_with(dir.path().join("instances")));
    }
    let summary = spool.study(study).expect("summary");
    assert_eq!((summary.state, summary.generation, summary.instances), (StudyState::Received, 0, 3));

    // The same bytes again: kept once, nothing written.
    let before = files_in(&dir.path().join("instances"));
    let again = spool.store_instance(&ct[0], &meta(STUDY_UID, 0)).expect("duplicate");
    assert_eq!((again.outcome, again.instance), (StoreOutcome::Duplicate, files[0].id));
    assert_eq!(files_in(&dir.path().join("instances")).len(), before.len());

    // Other bytes under the same SOP instance: replaced, old file gone.
    let replaced = spool.store_instance(&ct[3], &meta(STUDY_UID, 0)).expect("replace");
    assert_eq!((replaced.outcome, replaced.instance), (StoreOutcome::Replaced, files[0].id));
    assert!(!files[0].path.exists(), "the replaced file is removed");
    let files = spool.instance_files(study).expect("list");
    assert_eq!(files.len(), 3);
    assert_eq!(std::fs::read(&files[0].path).expect("read back"), ct[3]);
    assert_eq!(files_in(&dir.path().join("instances")).len(), 3);
}

#[test]
fn below_the_watermark_nothing_is_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ct = ct_files();
    let free = available_bytes(dir.path()).expect("statvfs");
    let spool = Spool::open(dir.path(), free + (1 << 40)).expect("open");
    match spool.store_instance(&ct[0], &meta(STUDY_UID, 0)) {
        Err(e @ SpoolError::OutOfSpace { available_bytes, needed_bytes }) => {
            assert!(needed_bytes > available_bytes);
            assert_eq!(radscored::error_code::ErrorCode::code(&e), "spool_out_of_space");
        }
        other => panic!("expected OutOfSpace, got {other:?}"),
    }
    assert!(files_in(&dir.path().join("tmp")).is_empty());
    assert!(files_in(&dir.path().join("instances")).is_empty());
    let overview = spool.overview(10).expect("overview");
    assert!(overview.counts.iter().all(|(_, n)| *n == 0), "{overview}");
    drop(spool);
    let spool = Spool::open(dir.path(), 0).expect("reopen without watermark");
    spool.store_instance(&ct[0], &meta(STUDY_UID, 0)).expect("stored once there is room");
}

#[test]
fn a_second_writer_and_a_newer_schema_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spool = Spool::open(dir.path(), 0).expect("open");
    assert!(matches!(Spool::open(dir.path(), 0), Err(SpoolError::Locked)));
    drop(spool);
    let conn = rusqlite::Connection::open(dir.path().join("spool.sqlite")).expect("sqlite");
    conn.pragma_update(None, "user_version", 99).expect("bump version");
    drop(conn);
    match Spool::open(dir.path(), 0) {
        Err(e @ SpoolError::NewerSchema { found: 99, supported: 1 }) => {
            assert!(e.to_string().contains("schema version 99"), "{e}");
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
}

#[test]
fn finish_study_is_one_transaction_and_respects_generations() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ct = ct_files();
    let spool = Spool::open(dir.path(), 0).expect("open");
    let study = spool.store_instance(&ct[0], &meta(STUDY_UID, 0)).expect("store").study;
    assert_eq!(spool.set_state(study, 0, StudyState::Analysing, None).expect("set"), Transition::Applied);

    // The second message is over the payload limit: neither the state nor the first message stay.
    let too_big = radscored::spool::outbox::MAX_PAYLOAD_BYTES + 1;
    let err = spool
        .finish_study(
            study,
            0,
            StudyState::Published,
            None,
            &[message("m1", Some(study), 10), message("m2", Some(study), too_big)],
        )
        .expect_err("payload too large");
    assert!(matches!(err, SpoolError::PayloadTooLarge { .. }), "{err}");
    assert_eq!(spool.study(study).expect("summary").state, StudyState::Analysing);
    assert_eq!(spool.outbox_depth().expect("depth"), 0);

    // A late instance re-opens the study with a new generation; the old analysis is superseded.
    let late = spool.store_instance(&ct[1], &meta(STUDY_UID, 1)).expect("late instance");
    assert!(late.reopened);
    let summary = spool.study(study).expect("summary");
    assert_eq!((summary.state, summary.generation), (StudyState::Received, 1));
    let stale = spool
        .finish_study(study, 0, StudyState::Published, None, &[message("m1", Some(study), 10)])
        .expect("stale finish");
    assert_eq!(stale, Transition::Superseded);
    assert_eq!(spool.study(study).expect("summary").state, StudyState::Received);
    assert_eq!(spool.outbox_depth().expect("depth"), 0);

    // Quarantine needs a note, and keeps it.
    assert!(matches!(
        spool.set_state(study, 1, StudyState::Quarantined, None),
        Err(SpoolError::QuarantineWithoutNote)
    ));
    spool.quarantine(study, 1, "missing_slices", "Slice 12 of 40 is missing.").expect("quarantine");
    let summary = spool.study(study).expect("summary");
    assert_eq!(summary.state, StudyState::Quarantined);
    assert_eq!(
        summary.note,
        Some(StateNote {
            code: "missing_slices".to_owned(),
            reason: "Slice 12 of 40 is missing.".to_owned()
        })
    );
    let text = Overview::read(dir.path(), 5).expect("read-only overview while open").to_string();
    assert!(text.contains("missing_slices") && text.contains("Slice 12 of 40 is missing."), "{text}");
    assert!(!text.contains(STUDY_UID), "{text}");
}

#[test]
fn the_last_ack_of_a_published_study_acknowledges_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ct = ct_files();
    let spool = Spool::open(dir.path(), 0).expect("open");
    let study = spool.store_instance(&ct[0], &meta(STUDY_UID, 0)).expect("store").study;
    spool.enqueue(&message("unrelated", None, 3)).expect("enqueue");
    spool
        .finish_study(
            study,
            0,
            StudyState::Published,
            None,
            &[message("result", Some(study), 100), message("alert", Some(study), 20)],
        )
        .expect("finish");
    // Enqueueing a waiting message_id again is a no-op.
    spool.enqueue(&message("result", Some(study), 100)).expect("enqueue twice");
    assert_eq!(spool.outbox_depth().expect("depth"), 3);

    let mut order = Vec::new();
    while let Some(row) = spool.next_unsent().expect("next") {
        order.push(row.message.message_id.clone());
        let acked = spool.ack(row.id).expect("ack");
        assert!(acked.deleted);
        let state = spool.study(study).expect("summary").state;
        if row.message.message_id == "alert" {
            assert_eq!(acked.study_acknowledged, Some(study));
            assert_eq!(state, StudyState::Acknowledged);
        } else {
            assert_eq!(acked.study_acknowledged, None);
            assert_eq!(state, StudyState::Published);
        }
        assert!(!spool.ack(row.id).expect("second ack").deleted);
    }
    assert_eq!(order, ["unrelated", "result", "alert"]);
    let states: Vec<StudyState> =
        spool.transitions(study).expect("transitions").into_iter().map(|t| t.0).collect();
    assert_eq!(states, [StudyState::Received, StudyState::Published, StudyState::Acknowledged]);
    assert!(spool.latency(study).expect("latency").is_some());
}

#[test]
fn retention_removes_only_old_acknowledged_studies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ct = ct_files();
    let spool = Spool::open(dir.path(), 0).expect("open");
    let states = [
        StudyState::Received,
        StudyState::Complete,
        StudyState::Analysing,
        StudyState::Analysed,
        StudyState::Published,
        StudyState::WaitingSegmentation,
        StudyState::Quarantined,
        StudyState::Acknowledged,
    ];
    let mut studies = Vec::new();
    for (i, state) in states.iter().enumerate() {
        let uid = format!("{STUDY_UID}.{i}");
        let study = spool.store_instance(&ct[i % ct.len()], &meta(&uid, 0)).expect("store").study;
        spool.store_instance(&ct[(i + 1) % ct.len()], &meta(&uid, 1)).expect("store");
        let note = StateNote { code: "c".to_owned(), reason: "r".to_owned() };
        spool.set_state(study, 0, *state, Some(&note)).expect("set state");
        studies.push((study, *state));
    }
    // Not yet old enough.
    assert_eq!(spool.purge_acknowledged(Duration::from_secs(3600)).expect("purge").studies, 0);
    let later = SystemTime::now() + Duration::from_secs(2 * 3600);
    let purged = spool.purge_acknowledged_at(Duration::from_secs(3600), later).expect("purge");
    assert_eq!((purged.studies, purged.instances), (1, 2));
    for (study, state) in &studies {
        let still = spool.study(*study);
        if *state == StudyState::Acknowledged {
            assert!(matches!(still, Err(SpoolError::UnknownStudy(_))));
        } else {
            assert_eq!(still.expect("kept").state, *state);
            for f in spool.instance_files(*study).expect("files") {
                assert!(f.path.exists(), "{state} keeps its files");
            }
        }
    }
    assert_eq!(files_in(&dir.path().join("instances")).len(), 2 * (states.len() - 1));
}

/// Environment variable naming the spool folder of [`crash_writer_child`].
const CHILD_SPOOL: &str = "RADSCORED_TEST_CHILD_SPOOL";

/// Helper process of `a_writer_killed_at_random_leaves_a_consistent_spool`: stores instances
/// and finishes studies as fast as it can until killed.
#[test]
#[ignore = "helper process: a_writer_killed_at_random_leaves_a_consistent_spool starts it"]
fn crash_writer_child() {
    let dir = std::env::var(CHILD_SPOOL).expect(
        "run by spool::a_writer_killed_at_random_leaves_a_consistent_spool, which sets the spool folder",
    );
    let spool = Spool::open(Path::new(&dir), 0).expect("open");
    let ct = ct_files();
    let pid = std::process::id();
    for i in 0.. {
        let uid = format!("{STUDY_UID}.{pid}.{}", i / 4);
        let stored = spool.store_instance(&ct[i % ct.len()], &meta(&uid, i % 4)).expect("store");
        if i % 4 == 3 {
            let id = format!("{pid}-{i}");
            spool
                .finish_study(
                    stored.study,
                    0,
                    StudyState::Published,
                    None,
                    &[message(&id, Some(stored.study), 5000)],
                )
                .expect("finish");
        }
    }
}

/// Checks the invariants of a spool folder with SQL and sha2.
fn check_consistent(dir: &Path) {
    let conn = rusqlite::Connection::open(dir.join("spool.sqlite")).expect("sqlite");
    let mut stmt = conn.prepare("SELECT file_name, size_bytes, sha256 FROM instance").expect("query");
    let rows: Vec<(String, i64, Vec<u8>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");
    let mut names = HashSet::new();
    for (name, size, sha) in &rows {
        let bytes = std::fs::read(dir.join("instances").join(name)).expect("every row has its file");
        assert_eq!(bytes.len() as i64, *size, "{name}");
        assert_eq!(Sha256::digest(&bytes).as_slice(), sha.as_slice(), "{name}");
        names.insert(name.clone());
    }
    for path in files_in(&dir.join("instances")) {
        let name = path.file_name().and_then(|n| n.to_str()).expect("name").to_owned();
        assert!(names.contains(&name), "unreferenced file {name} after open");
    }
    assert!(files_in(&dir.join("tmp")).is_empty(), "tmp/ emptied at open");
    // finish_study: every published study has its message, every message its published study.
    let published: i64 = conn
        .query_row("SELECT COUNT(*) FROM study WHERE state = 'published'", [], |r| r.get(0))
        .expect("count");
    let with_message: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM study s WHERE s.state = 'published'
             AND EXISTS (SELECT 1 FROM outbox o WHERE o.study_id = s.id)",
            [],
            |r| r.get(0),
        )
        .expect("count");
    let orphan_messages: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM outbox o JOIN study s ON s.id = o.study_id WHERE s.state != 'published'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!((published, orphan_messages), (with_message, 0));
}

#[test]
fn a_writer_killed_at_random_leaves_a_consistent_spool() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut instances_seen = 0;
    for round in 0..5u64 {
        let mut child = Command::new(test_binary())
            .args(["--exact", "spool::crash_writer_child", "--ignored", "--nocapture", "--test-threads=1"])
            .env(CHILD_SPOOL, dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start the writer");
        // Let it open the spool and write for a while; the delay varies per round.
        let db = dir.path().join("spool.sqlite");
        wait_for("the writer to create its journal", Duration::from_secs(20), || db.exists());
        std::thread::sleep(Duration::from_millis(150 + 97 * round));
        child.kill().expect("SIGKILL the writer");
        child.wait().expect("reap the writer");
        // Leftovers of the kind a crash leaves, planted in case the kill missed the window.
        std::fs::write(dir.path().join("tmp").join("planted.dcm"), b"half").expect("plant tmp");
        std::fs::write(dir.path().join("instances").join("planted.dcm"), b"orphan").expect("plant orphan");
        let spool = Spool::open(dir.path(), 0).expect("open after the crash");
        drop(spool);
        check_consistent(dir.path());
        let conn = rusqlite::Connection::open(dir.path().join("spool.sqlite")).expect("sqlite");
        let n: i64 = conn.query_row("SELECT COUNT(*) FROM instance", [], |r| r.get(0)).expect("count");
        assert!(n > instances_seen, "round {round}: the writer stored nothing");
        instances_seen = n;
    }
}

#[test]
fn the_spool_is_shared_across_threads() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<Spool>();
    shareable::<std::sync::Arc<Spool>>();
}

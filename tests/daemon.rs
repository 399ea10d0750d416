//! `radscored serve` end to end, with real parts only: Debian's mosquitto as the broker,
//! mosquitto_sub as the console, dcmtk's storescu/echoscu as the scanner, the shared lung2-crop
//! fixture (studies made distinct by rewriting their StudyInstanceUID with dicom-object), and the
//! radscored binary as a process that is stopped with SIGTERM and killed with SIGKILL.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use serde_json::Value;

use crate::identifiers::Identifiers;
use crate::mosquitto::{free_port, wait_for, Mosquitto, Subscriber};
use crate::study_fixture::{files, fixture, rewrite};

const SCU_AE: &str = "BARSCU";
const OUR_AE: &str = "RADSCORED";
const TOPICS: &str = "radscore/v1/bartest/box1";
const ENDPOINTS: [&str; 10] = ["LVI", "PI", "T4", "EGFR", "KRAS", "ALK", "TP53", "PIK3CA", "ROS1", "PD1_L1"];

/// A daemon process with its own spool, key and configuration, and the socket on which it sends
/// its systemd notifications (`NOTIFY_SOCKET`).
struct Daemon {
    dir: tempfile::TempDir,
    config: PathBuf,
    dicom_port: u16,
    child: Option<Child>,
    notify: std::os::unix::net::UnixDatagram,
}

impl Daemon {
    /// Writes the acceptance test's configuration (the contract's keys, plus `extra`) and starts.
    fn start(broker: u16, extra: &str) -> Daemon {
        let dir = tempfile::tempdir().expect("temp dir");
        let dicom_port = free_port();
        let bundle = crate::util::repo().join("engines/reference");
        let config = dir.path().join("appliance.toml");
        let text = format!(
            "[site]\nid = \"bartest\"\ndevice = \"box1\"\nkey_file = {key:?}\n\n\
             [dicom]\nlisten = \"127.0.0.1:{dicom_port}\"\nae_title = \"{OUR_AE}\"\nallowed_calling_aes = [\"{SCU_AE}\"]\n\n\
             [spool]\ndir = {spool:?}\n{spool_extra}\n\
             [series]\n{quiet}\n{series_extra}\n\
             [mqtt]\nhost = \"127.0.0.1\"\nport = {broker}\nkeepalive_s = 5\n\n[model]\nbundle = {bundle:?}\n\n{sections}\n",
            key = dir.path().join("site.key"),
            spool = dir.path().join("spool"),
            spool_extra = extra.lines().filter(|l| l.starts_with("min_free_mib")).collect::<Vec<_>>().join("\n"),
            series_extra = extra.lines().filter(|l| l.starts_with("segmentation_wait_s")).collect::<Vec<_>>().join("\n"),
            quiet = extra.lines().find(|l| l.starts_with("quiet_period_s")).unwrap_or("quiet_period_s = 1"),
            sections = extra.split_once("\n[").map_or(String::new(), |(_, rest)| format!("[{rest}")),
        );
        std::fs::write(&config, text).expect("write the configuration");
        let notify =
            std::os::unix::net::UnixDatagram::bind(dir.path().join("notify.sock")).expect("notify socket");
        notify.set_nonblocking(true).expect("non-blocking notify socket");
        let mut daemon = Daemon { dir, config, dicom_port, child: None, notify };
        daemon.restart();
        daemon
    }

    /// Starts the process (again, on the same spool) and waits until it answers C-ECHO.
    fn restart(&mut self) {
        assert!(self.child.is_none(), "the daemon is running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("daemon.log"))
            .expect("daemon log");
        let child = Command::new(env!("CARGO_BIN_EXE_radscored"))
            .args(["serve", "--config"])
            .arg(&self.config)
            .env("RADSCORED_LOG", "info")
            .env("RADSCORED_HOME", crate::util::repo())
            .env("RADSCORED_BACKEND", "cpu")
            .env("NOTIFY_SOCKET", self.dir.path().join("notify.sock"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start radscored serve");
        self.child = Some(child);
        let port = self.dicom_port;
        wait_for("the daemon to answer C-ECHO", Duration::from_secs(120), || {
            echo(port, SCU_AE).status.success()
        });
    }

    /// Sends `signal`, waits for the exit and returns its code.
    fn stop(&mut self, signal: &str) -> Option<i32> {
        let mut child = self.child.take().expect("the daemon is running");
        let status = Command::new("kill").args([format!("-{signal}"), child.id().to_string()]).status();
        assert!(status.expect("kill").success());
        child.wait().expect("wait for the daemon").code()
    }

    /// The systemd notifications received since the last call, one datagram each.
    fn notifications(&self) -> Vec<String> {
        let mut buffer = [0u8; 4096];
        let mut received = Vec::new();
        while let Ok(length) = self.notify.recv(&mut buffer) {
            received.push(String::from_utf8_lossy(&buffer[..length]).into_owned());
        }
        received
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }

    fn spool(&self) -> PathBuf {
        self.dir.path().join("spool")
    }

    /// storescu -R from the allowed AE with `files`.
    fn send(&self, files: &[PathBuf]) -> Output {
        Command::new("storescu")
            .args(["-v", "-R", "-aet", SCU_AE, "-aec", OUR_AE, "127.0.0.1", &self.dicom_port.to_string()])
            .args(files)
            .output()
            .expect("storescu is missing: run scripts/setup.sh (dcmtk)")
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn echo(port: u16, calling_ae: &str) -> Output {
    Command::new("echoscu")
        .args(["-aet", calling_ae, "-aec", OUR_AE, "127.0.0.1", &port.to_string()])
        .output()
        .expect("echoscu is missing: run scripts/setup.sh (dcmtk)")
}

/// A copy of the lung2-crop study (CT, SEG) under `dir` with its own StudyInstanceUID.
fn study_copy(dir: &Path, n: u32, drop_slice: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let uid = format!("2.25.99887766554433221100{n}");
    for sub in ["ct", "seg"] {
        let mut names = files(&fixture(&format!("lung2-crop/{sub}")));
        if drop_slice && sub == "ct" {
            names.remove(names.len() / 2);
        }
        for source in names {
            let target = dir.join(format!("{n}-{sub}-{}", source.file_name().unwrap().to_string_lossy()));
            std::fs::copy(&source, &target).expect("copy a fixture file");
            rewrite(&target, |obj| {
                obj.put(DataElement::new(
                    tags::STUDY_INSTANCE_UID,
                    VR::UI,
                    PrimitiveValue::from(uid.as_str()),
                ));
            });
            out.push(target);
        }
    }
    out
}

/// What `radscored status` prints for `spool` (it must succeed while the daemon runs).
fn status(spool: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_radscored"))
        .args(["status", "--spool"])
        .arg(spool)
        .output()
        .expect("radscored status");
    assert!(out.status.success(), "radscored status: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(payload: &str) -> Value {
    serde_json::from_str(payload).unwrap_or_else(|e| panic!("payload is not JSON ({e}): {payload}"))
}

/// No payload or topic names a UID of the input, a patient name or a path.
fn assert_no_identity(sub: &Subscriber, identifiers: &Identifiers) {
    for message in sub.received() {
        identifiers.assert_absent("a message's topic", &message.topic);
        identifiers.assert_absent("a message", &message.payload);
        assert!(!message.payload.contains("FIXTURE"), "{message:?}");
    }
}

#[test]
fn a_study_sent_by_storescu_is_published_with_its_alert_and_status() {
    let broker = Mosquitto::start("");
    let sub = Subscriber::start(broker.port, &format!("{TOPICS}/#"));
    let mut daemon = Daemon::start(broker.port, "");
    let refused = echo(daemon.dicom_port, "INTRUDER");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("Calling AE Title Not Recognized"),
        "{refused:?}"
    );

    let tmp = tempfile::tempdir().expect("temp dir");
    let study = study_copy(tmp.path(), 1, false);
    let sent = daemon.send(&study);
    assert!(sent.status.success(), "storescu: {}", String::from_utf8_lossy(&sent.stderr));
    wait_for("the result and its alert", Duration::from_secs(120), || {
        !sub.on("/alerts").is_empty() && sub.received().iter().any(|m| m.topic.contains("/results/"))
    });
    let result = sub.received().into_iter().find(|m| m.topic.contains("/results/")).expect("a result");
    let report = json(&result.payload);
    assert_eq!(result.topic, format!("{TOPICS}/results/{}", report["study_key"].as_str().unwrap()));
    for endpoint in ENDPOINTS {
        let p = report["predictions"]["endpoints"][endpoint]["probability"].as_f64();
        assert!(p.is_some_and(|p| (0.0..=1.0).contains(&p)), "{endpoint}: {p:?}");
    }
    assert!(report["message_id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(report["tumor"]["voxels"], 24_644);
    let alert = json(&sub.on("/alerts")[0].payload);
    assert_eq!((alert["severity"].as_str(), alert["code"].as_str()), (Some("info"), Some("analysed")));
    assert_eq!(alert["study_key"], report["study_key"]);
    assert!(sub.on("/status").iter().any(|m| json(&m.payload)["state"] == "online"));
    assert_eq!(
        json(&broker.retained(&format!("{TOPICS}/status")).expect("retained status"))["state"],
        "online"
    );
    let identifiers = Identifiers::of(&[tmp.path()]);
    assert_no_identity(&sub, &identifiers);
    // systemd hears READY=1 once the model is warmed, with where the work runs.
    let notified = daemon.notifications();
    assert!(
        notified.iter().any(|n| n.contains("READY=1")
            && n.contains("STATUS=receiving studies; compute backend cpu, networks on CPU")),
        "{notified:?}"
    );

    assert_eq!(daemon.stop("TERM"), Some(0), "SIGTERM exits 0:\n{}", daemon.log());
    assert!(daemon.notifications().iter().any(|n| n.contains("STOPPING=1")));
    let retained = json(&broker.retained(&format!("{TOPICS}/status")).expect("retained status"));
    assert_eq!(retained["state"], "offline");
    let text = status(&daemon.spool());
    assert!(text.contains("acknowledged"), "{text}");
    identifiers.assert_absent("radscored status", &text);
    identifiers.assert_absent("the daemon's log", &daemon.log());
}

#[test]
fn kill_9_leaves_the_will_and_a_restart_finishes_the_study() {
    let broker = Mosquitto::start("");
    let sub = Subscriber::start(broker.port, &format!("{TOPICS}/#"));
    let mut daemon = Daemon::start(broker.port, "");
    let tmp = tempfile::tempdir().expect("temp dir");
    let sent_files = study_copy(tmp.path(), 2, false);
    let sent = daemon.send(&sent_files);
    assert!(sent.status.success(), "storescu: {}", String::from_utf8_lossy(&sent.stderr));
    // Every instance was acknowledged, so it is durable: kill before the result is out.
    daemon.stop("KILL");
    wait_for("the will (offline) to be retained", Duration::from_secs(20), || {
        broker.retained(&format!("{TOPICS}/status")).is_some_and(|s| json(&s)["state"] == "offline")
    });
    daemon.restart();
    wait_for("the result after the restart", Duration::from_secs(120), || {
        sub.received().iter().any(|m| m.topic.contains("/results/"))
    });
    std::thread::sleep(Duration::from_secs(2));
    let results: Vec<_> = sub.received().into_iter().filter(|m| m.topic.contains("/results/")).collect();
    let ids: std::collections::BTreeSet<String> =
        results.iter().map(|m| json(&m.payload)["message_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 1, "one result, however often it was sent: {results:?}");
    assert!(results.len() <= 2, "published once more at most: {}", results.len());
    assert_no_identity(&sub, &Identifiers::of(&[tmp.path()]));
    assert_eq!(daemon.stop("TERM"), Some(0));
}

#[test]
fn studies_that_arrive_while_the_broker_is_down_are_all_delivered() {
    let mut broker = Mosquitto::start("");
    let sub = Subscriber::start(broker.port, &format!("{TOPICS}/results/#"));
    let mut daemon = Daemon::start(broker.port, "");
    // SIGTERM: mosquitto saves the console's persistent session, as a broker restarted by its
    // operator does; the daemon's own messages wait in its outbox, not in the broker.
    broker.stop("TERM");
    let tmp = tempfile::tempdir().expect("temp dir");
    for n in 10..13 {
        let sent = daemon.send(&study_copy(tmp.path(), n, false));
        assert!(
            sent.status.success(),
            "intake must not wait for the broker: {}",
            String::from_utf8_lossy(&sent.stderr)
        );
    }
    std::thread::sleep(Duration::from_secs(3));
    broker.restart();
    wait_for("three results after the broker came back", Duration::from_secs(180), || {
        let keys: std::collections::BTreeSet<String> = sub
            .received()
            .iter()
            .map(|m| json(&m.payload)["study_key"].as_str().unwrap_or("").to_owned())
            .collect();
        keys.len() == 3
    });
    assert_eq!(daemon.stop("TERM"), Some(0));
}

#[test]
fn a_study_that_cannot_be_analysed_is_quarantined_and_the_next_succeeds() {
    let broker = Mosquitto::start("");
    let sub = Subscriber::start(broker.port, &format!("{TOPICS}/#"));
    let mut daemon = Daemon::start(broker.port, "");
    let tmp = tempfile::tempdir().expect("temp dir");
    let gap = daemon.send(&study_copy(tmp.path(), 20, true));
    assert!(gap.status.success());
    wait_for("an error alert", Duration::from_secs(120), || {
        sub.on("/alerts").iter().any(|m| json(&m.payload)["severity"] == "error")
    });
    let alert =
        sub.on("/alerts").into_iter().map(|m| json(&m.payload)).find(|a| a["severity"] == "error").unwrap();
    assert_eq!(alert["code"], "missing_slices", "{alert}");
    assert!(alert["text"].as_str().unwrap().starts_with("This study could not be analysed"), "{alert}");
    assert!(sub.received().iter().all(|m| !m.topic.contains("/results/")), "no result for a failed study");

    let good = daemon.send(&study_copy(tmp.path(), 21, false));
    assert!(good.status.success());
    wait_for("the next study's result", Duration::from_secs(120), || {
        sub.received().iter().any(|m| m.topic.contains("/results/"))
    });
    let text = status(&daemon.spool());
    assert!(text.contains("missing_slices"), "the quarantine lists its code: {text}");
    let identifiers = Identifiers::of(&[tmp.path()]);
    assert_no_identity(&sub, &identifiers);
    identifiers.assert_absent("radscored status", &text);
    identifiers.assert_absent("the daemon's log", &daemon.log());
    assert_eq!(daemon.stop("TERM"), Some(0));
}

/// A study analysed ahead, during its quiet period, with a slice missing, whose slice then
/// arrives: it is analysed ahead again, complete, and that outcome is the one recorded and
/// published (no stale "missing slices" error).
#[test]
fn a_slice_after_the_analysis_ahead_is_analysed_with_its_study() {
    let broker = Mosquitto::start("");
    let sub = Subscriber::start(broker.port, &format!("{TOPICS}/#"));
    // Ahead after a quarter of the quiet period: 2.5 s, leaving time to send the slice.
    let mut daemon = Daemon::start(broker.port, "quiet_period_s = 10");
    let tmp = tempfile::tempdir().expect("temp dir");
    let full = study_copy(tmp.path(), 40, false);
    let cts: Vec<&PathBuf> = full.iter().filter(|p| p.to_string_lossy().contains("-ct-")).collect();
    let missing = cts[cts.len() / 2].clone();
    let gap: Vec<PathBuf> = full.iter().filter(|p| **p != missing).cloned().collect();
    assert!(daemon.send(&gap).status.success());
    wait_for("the study with a gap analysed ahead", Duration::from_secs(60), || {
        daemon.log().contains("Study analysed ahead")
    });
    assert!(daemon.send(std::slice::from_ref(&missing)).status.success());
    wait_for("the study's result", Duration::from_secs(120), || {
        sub.received().iter().any(|m| m.topic.contains("/results/"))
    });
    let alerts: Vec<Value> = sub.on("/alerts").into_iter().map(|m| json(&m.payload)).collect();
    assert!(alerts.iter().all(|a| a["severity"] != "error"), "no stale outcome: {alerts:?}");
    let result = sub.received().into_iter().find(|m| m.topic.contains("/results/")).expect("result");
    assert_eq!(json(&result.payload)["predictions"]["endpoints"].as_object().map(|e| e.len()), Some(10));
    let log = daemon.log();
    assert_eq!(log.matches("Study analysed ahead").count(), 2, "once with the gap, once complete:\n{log}");
    assert_eq!(log.matches("Outcome analysed ahead taken").count(), 1, "{log}");
    assert_eq!(daemon.stop("TERM"), Some(0));
}

#[test]
fn below_the_disk_watermark_c_store_answers_out_of_resources() {
    let broker = Mosquitto::start("");
    let mut daemon = Daemon::start(broker.port, "min_free_mib = 1000000000");
    let tmp = tempfile::tempdir().expect("temp dir");
    let study = study_copy(tmp.path(), 30, false);
    let out = daemon.send(&study[..2]);
    let text = String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("OutOfResources"), "storescu must hear out of resources: {text}");
    let instances = daemon.spool().join("instances");
    let stored = std::fs::read_dir(&instances).map(|d| d.count()).unwrap_or(0);
    assert_eq!(stored, 0, "nothing half-written in the spool");
    let leftovers = std::fs::read_dir(daemon.spool().join("tmp")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(leftovers, 0, "no temporary file left");
    assert_eq!(daemon.stop("TERM"), Some(0));
}

/// The shipped unit's sandboxing, as `systemd-analyze security` rates it offline: at most 2.0
/// (issue 12), with the GPU devices allowed; the socket unit binds port 104 for it.
#[test]
fn the_service_unit_is_sandboxed() {
    let units = crate::util::repo().join("systemd");
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(units.join("radscored.service"))
        .output()
        .expect("systemd-analyze is missing (Debian's systemd package)");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let level: f64 = text
        .lines()
        .find_map(|l| l.split("Overall exposure level for radscored.service: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in: {text}"));
    assert!(level <= 2.0, "exposure {level} > 2.0:\n{text}");
    let service = std::fs::read_to_string(units.join("radscored.service")).expect("service unit");
    for line in [
        "Type=notify",
        "WatchdogSec=",
        "StateDirectory=radscored",
        "CacheDirectory=radscored",
        "User=radscored",
        "DeviceAllow=char-nvidiactl rw",
    ] {
        assert!(service.contains(line), "service unit lacks {line}");
    }
    let socket = std::fs::read_to_string(units.join("radscored.socket")).expect("socket unit");
    assert!(socket.contains("ListenStream=104"));
}

/// The daemon sends each analysed study's SR and key image to its PACS: dcmtk's storescp,
/// stopped when the study arrives and started later; both objects still arrive.
#[test]
fn results_reach_a_pacs_that_was_down_when_the_study_arrived() {
    let broker = Mosquitto::start("");
    let pacs_dir = tempfile::tempdir().expect("temp dir");
    let pacs_port = free_port();
    let extra = format!(
        "\n[export]\ndestinations = [{{ host = \"127.0.0.1\", port = {pacs_port}, called_ae = \"PACS\" }}]\nfirst_retry_s = 1\nmax_retry_s = 2\n"
    );
    let mut daemon = Daemon::start(broker.port, &extra);
    let tmp = tempfile::tempdir().expect("temp dir");
    let sent = daemon.send(&study_copy(tmp.path(), 40, false));
    assert!(sent.status.success(), "storescu: {}", String::from_utf8_lossy(&sent.stderr));
    // Let the first attempts fail against the closed port.
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(std::fs::read_dir(pacs_dir.path()).unwrap().count(), 0);
    let mut storescp = Command::new("storescp")
        .args(["-aet", "PACS", "-od"])
        .arg(pacs_dir.path())
        .arg(pacs_port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("storescp is missing: run scripts/setup.sh (dcmtk)");
    wait_for("the SR and the key image in the PACS", Duration::from_secs(60), || {
        std::fs::read_dir(pacs_dir.path()).map(|d| d.count()).unwrap_or(0) >= 2
    });
    wait_for("the export job to leave the spool", Duration::from_secs(30), || {
        std::fs::read_dir(daemon.spool().join("exports")).map(|d| d.count()).unwrap_or(0) == 0
    });
    let _ = storescp.kill();
    let _ = storescp.wait();
    let names: Vec<String> = std::fs::read_dir(pacs_dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().any(|n| n.starts_with("SR")), "a structured report: {names:?}");
    assert!(names.iter().any(|n| n.starts_with("SC")), "a secondary capture: {names:?}");
    assert_eq!(daemon.stop("TERM"), Some(0), "{}", daemon.log());
}

/// A study whose CT was re-exported with new image UIDs (same series, same coordinate system),
/// sent with its original SEG: the daemon places the SEG by slice position, publishes the result
/// with the warning, and the technologist's alert is a warning that says so.
#[test]
fn a_re_exported_series_is_analysed_with_a_warning_alert() {
    let broker = Mosquitto::start("");
    let sub = Subscriber::start(broker.port, &format!("{TOPICS}/#"));
    let mut daemon = Daemon::start(broker.port, "");
    let tmp = tempfile::tempdir().expect("temp dir");
    crate::util::run_oracle(
        "series_variants.py",
        &[fixture("lung2-crop").as_os_str(), tmp.path().as_os_str(), "reexport-seg".as_ref()],
        b"",
    );
    let study = tmp.path().join("reexport-seg");
    let sent_files: Vec<PathBuf> = ["ct", "seg"].iter().flat_map(|sub| files(&study.join(sub))).collect();
    let sent = daemon.send(&sent_files);
    assert!(sent.status.success(), "storescu: {}", String::from_utf8_lossy(&sent.stderr));
    wait_for("the result and its alert", Duration::from_secs(120), || {
        !sub.on("/alerts").is_empty() && sub.received().iter().any(|m| m.topic.contains("/results/"))
    });
    let result = sub.received().into_iter().find(|m| m.topic.contains("/results/")).expect("a result");
    let report = json(&result.payload);
    assert_eq!(report["tumor"]["voxels"], 24_644);
    let warnings = report["warnings"].as_array().expect("warnings in the result");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].as_str().unwrap().contains("placed on the CT slices by plane position"));
    let alert = json(&sub.on("/alerts")[0].payload);
    assert_eq!((alert["severity"].as_str(), alert["code"].as_str()), (Some("warning"), Some("analysed")));
    assert!(alert["text"].as_str().unwrap().contains("placed on the CT slices by plane position"), "{alert}");
    assert_no_identity(&sub, &Identifiers::of(&[&study]));
    assert_eq!(daemon.stop("TERM"), Some(0));
}

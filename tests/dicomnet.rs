//! The DICOM network side against real dcmtk peers: our SCP (`ingest::scp`) answering dcmtk's
//! `echoscu` and `storescu`, `radscored send` (`export::scu`) storing into dcmtk's `storescp`
//! and into our own SCP, and the drop-folder intake (`ingest::watch`).
//!
//! Expected values come from the fixtures and from dcmtk and dicom-object reading the original
//! files, never from the code under test. Every server runs on a free loopback port and is
//! stopped when its handle drops.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use dicom_core::{dicom_value, DataElement, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::{open_file, InMemDicomObject};

use dicom_transfer_syntax_registry::entries::{EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN};
use dicom_ul::{
    pdu::{PDataValue, PDataValueType},
    ClientAssociationOptions, Pdu,
};
use radscored::ingest::{
    received::{Handling, Source},
    scp::{serve, ScpConfig},
    watch::{watch, WatchConfig, REJECTED_DIR},
    InstanceSink, ReceivedInstance, Refusal, Stored,
};

use crate::mosquitto::free_port;
use crate::util;

/// Our SCP's AE title and the one calling AE the tests allow.
const OUR_AE: &str = "RADSCORED";
const ALLOWED_SCU: &str = "BARSCU";

// ---------------------------------------------------------------------------------------------
// Helpers

/// A dcmtk tool; panics with the fix when dcmtk is not installed.
fn dcmtk(tool: &str) -> Command {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(found, "dcmtk's {tool} is missing: run scripts/setup.sh (Debian package dcmtk)");
    Command::new(tool)
}

fn radscored() -> Command {
    Command::new(env!("CARGO_BIN_EXE_radscored"))
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// The lung2-crop study: 61 CT slices, one SEG, one RTSTRUCT.
fn lung2_crop_files() -> Vec<PathBuf> {
    let root = util::shared("fixtures/dicom/lung2-crop");
    let mut files = Vec::new();
    for dir in ["ct", "seg", "rtstruct"] {
        let mut in_dir: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .expect("fixture folder")
            .map(|e| e.expect("fixture entry").path())
            .collect();
        in_dir.sort();
        files.extend(in_dir);
    }
    assert_eq!(files.len(), 63, "lung2-crop should hold 61 CT slices, a SEG and an RTSTRUCT");
    files
}

/// The data set of a DICOM file (dicom-object), without its file meta group.
fn data_set(path: &Path) -> InMemDicomObject {
    open_file(path).expect("original DICOM file").into_inner()
}

fn sop_instance_uid(obj: &InMemDicomObject) -> String {
    obj.element(tags::SOP_INSTANCE_UID)
        .expect("SOPInstanceUID")
        .to_str()
        .expect("UID text")
        .trim_end_matches('\0')
        .to_owned()
}

/// A child process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until something accepts TCP connections on the port.
fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on port {port} after 10 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// dcmtk's storescp writing into `dir`, with extra options.
fn start_storescp(dir: &Path, extra: &[&str]) -> (Killed, u16) {
    let port = free_port();
    let child = dcmtk("storescp")
        .args(extra)
        .arg("-od")
        .arg(dir)
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start storescp");
    let child = Killed(child);
    wait_for_port(port);
    (child, port)
}

/// An instance as the test sink recorded it.
#[derive(Debug, Clone)]
struct Record {
    instance: ReceivedInstance,
    path: PathBuf,
}

/// A sink that writes each instance durably into a folder (temporary name, fsync, rename), or
/// refuses everything with a given refusal.
struct DirSink {
    dir: PathBuf,
    refuse: Option<Refusal>,
    records: Mutex<Vec<Record>>,
}

impl DirSink {
    fn new(dir: &Path, refuse: Option<Refusal>) -> Arc<DirSink> {
        Arc::new(DirSink { dir: dir.to_owned(), refuse, records: Mutex::new(Vec::new()) })
    }

    fn records(&self) -> Vec<Record> {
        self.records.lock().expect("sink lock").clone()
    }
}

impl InstanceSink for DirSink {
    fn store(&self, instance: ReceivedInstance) -> Result<Stored, Refusal> {
        use std::io::Write;
        if let Some(refusal) = &self.refuse {
            return Err(refusal.clone());
        }
        let mut records = self.records.lock().expect("sink lock");
        let path = self.dir.join(format!("{:04}.dcm", records.len()));
        let tmp = path.with_extension("tmp");
        let mut file = std::fs::File::create(&tmp).map_err(|_| Refusal::ProcessingFailure)?;
        file.write_all(&instance.part10).map_err(|_| Refusal::ProcessingFailure)?;
        file.sync_all().map_err(|_| Refusal::ProcessingFailure)?;
        std::fs::rename(&tmp, &path).map_err(|_| Refusal::ProcessingFailure)?;
        records.push(Record { instance, path });
        Ok(Stored::New)
    }
}

/// Our SCP on a free port, on its own runtime; stopped (and waited for) when dropped.
struct Scp {
    port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Scp {
    fn start(config: ScpConfig, sink: Arc<dyn InstanceSink>) -> Scp {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
        let port = listener.local_addr().expect("local address").port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime
                .block_on(serve(listener, Arc::new(config), sink, async {
                    let _ = stopped.await;
                }))
                .expect("SCP ends without error");
        });
        Scp { port, stop: Some(stop), thread: Some(thread) }
    }
}

impl Scp {
    /// Completes the SCP's shutdown future (without waiting for it to stop).
    fn signal_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Waits for `serve` to return; panics if it takes longer than `limit`.
    fn join_within(&mut self, limit: Duration) {
        let thread = self.thread.take().expect("SCP still running");
        let deadline = Instant::now() + limit;
        while !thread.is_finished() {
            assert!(Instant::now() < deadline, "serve did not return within {limit:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
        thread.join().expect("serve thread");
    }
}

impl Drop for Scp {
    fn drop(&mut self) {
        self.signal_stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn allowlisted_config() -> ScpConfig {
    let mut config = ScpConfig::new(OUR_AE);
    config.allowed_calling_aes = vec![ALLOWED_SCU.to_owned()];
    config
}

fn echoscu(port: u16, calling: &str, called: &str) -> Output {
    dcmtk("echoscu")
        .args(["-aet", calling, "-aec", called, "127.0.0.1", &port.to_string()])
        .output()
        .expect("run echoscu")
}

// ---------------------------------------------------------------------------------------------
// Our SCP and dcmtk's SCUs

#[test]
fn echoscu_gets_an_answer() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let scp = Scp::start(allowlisted_config(), DirSink::new(tmp.path(), None));
    let out = echoscu(scp.port, ALLOWED_SCU, OUR_AE);
    assert!(out.status.success(), "echoscu failed: {}", text(&out));
}

#[test]
fn calling_ae_not_on_the_allow_list_is_rejected() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let scp = Scp::start(allowlisted_config(), DirSink::new(tmp.path(), None));
    let out = echoscu(scp.port, "INTRUDER", OUR_AE);
    assert!(!out.status.success(), "echoscu from a foreign AE succeeded");
    let said = text(&out);
    assert!(said.contains("Association Rejected"), "{said}");
    assert!(said.contains("Calling AE Title Not Recognized"), "{said}");
    assert!(said.contains("Permanent"), "{said}");
}

#[test]
fn wrong_called_ae_is_rejected() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let scp = Scp::start(allowlisted_config(), DirSink::new(tmp.path(), None));
    let out = echoscu(scp.port, ALLOWED_SCU, "NOT-US");
    assert!(!out.status.success(), "echoscu to a wrong AE title succeeded");
    let said = text(&out);
    assert!(said.contains("Called AE Title Not Recognized"), "{said}");
}

#[test]
fn association_beyond_the_limit_is_rejected_as_transient() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut config = allowlisted_config();
    config.max_associations = 1;
    let scp = Scp::start(config, DirSink::new(tmp.path(), None));
    let held = ClientAssociationOptions::new()
        .calling_ae_title(ALLOWED_SCU)
        .called_ae_title(OUR_AE)
        .with_abstract_syntax(uids::VERIFICATION)
        .establish(("127.0.0.1", scp.port))
        .expect("first association");
    let out = echoscu(scp.port, ALLOWED_SCU, OUR_AE);
    assert!(!out.status.success(), "second association accepted beyond max_associations = 1");
    let said = text(&out);
    assert!(said.contains("Transient"), "{said}");
    assert!(said.contains("Local Limit Exceeded"), "{said}");
    held.release().expect("release the first association");
    // The slot is free again.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !echoscu(scp.port, ALLOWED_SCU, OUR_AE).status.success() {
        assert!(Instant::now() < deadline, "slot not freed after the first association ended");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn storescu_study_arrives_whole_and_unchanged() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let sink = DirSink::new(tmp.path(), None);
    let scp = Scp::start(allowlisted_config(), sink.clone());
    let files = lung2_crop_files();
    let out = dcmtk("storescu")
        .args(["-R", "-aet", ALLOWED_SCU, "-aec", OUR_AE, "127.0.0.1", &scp.port.to_string()])
        .args(&files)
        .output()
        .expect("run storescu");
    assert!(out.status.success(), "storescu failed: {}", text(&out));

    let records = sink.records();
    assert_eq!(records.len(), 63);
    let by_uid: BTreeMap<String, Record> =
        records.into_iter().map(|r| (r.instance.sop_instance_uid.clone(), r)).collect();
    assert_eq!(by_uid.len(), 63, "every instance exactly once");
    for file in &files {
        let original = data_set(file);
        let uid = sop_instance_uid(&original);
        let record = by_uid.get(&uid).expect("instance received");
        let text_of = |tag| {
            original
                .element(tag)
                .expect("attribute")
                .to_str()
                .expect("text")
                .trim_end_matches('\0')
                .trim()
                .to_owned()
        };
        let instance = &record.instance;
        assert_eq!(instance.source, Source::Network { calling_ae: ALLOWED_SCU.to_owned() });
        assert_eq!(instance.handling, Handling::Analyse);
        assert_eq!(instance.sop_class_uid, text_of(tags::SOP_CLASS_UID));
        assert_eq!(instance.study_instance_uid, text_of(tags::STUDY_INSTANCE_UID));
        assert_eq!(instance.series_instance_uid, text_of(tags::SERIES_INSTANCE_UID));
        assert_eq!(instance.modality.as_deref(), Some(text_of(tags::MODALITY).as_str()));
        // The stored Part-10 file reads back (dicom-object) to the same data set as the original.
        let stored = data_set(&record.path);
        assert!(stored == original, "data set of {} changed on the way", file.display());
    }
    // dcmtk reads our Part-10 wrapping too, and names the calling AE as source.
    let first = &by_uid.values().next().expect("one record").path;
    let dump = dcmtk("dcmdump").arg(first).output().expect("run dcmdump");
    assert!(dump.status.success(), "dcmdump cannot read a stored file: {}", text(&dump));
    assert!(text(&dump).contains(&format!("(0002,0016) AE [{ALLOWED_SCU}]")), "{}", text(&dump));
}

#[test]
fn rle_compressed_slices_arrive_in_their_transfer_syntax() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let sink = DirSink::new(tmp.path(), None);
    let scp = Scp::start(allowlisted_config(), sink.clone());
    let dir = util::shared("fixtures/dicom/lung1/ct-rle");
    let out = dcmtk("storescu")
        .args(["-R", "-xr", "+sd", "-aet", ALLOWED_SCU, "-aec", OUR_AE, "127.0.0.1", &scp.port.to_string()])
        .arg(&dir)
        .output()
        .expect("run storescu");
    assert!(out.status.success(), "storescu failed: {}", text(&out));
    let records = sink.records();
    assert_eq!(records.len(), 48);
    assert!(records.iter().all(|r| r.instance.transfer_syntax_uid == uids::RLE_LOSSLESS));
    for record in &records {
        let stored = open_file(&record.path).expect("stored file reads back");
        assert_eq!(stored.meta().transfer_syntax().trim_end_matches('\0'), uids::RLE_LOSSLESS);
    }
}

/// storescu deflates the lung2-crop study (`-xd`) or sends it big endian (`-xb`) on the fly; what
/// arrives reads into the fixture's volume and draws the fixture's tumor (issue 10).
#[test]
fn deflated_and_big_endian_studies_from_storescu_read_as_the_fixture() {
    use radscored::roi;
    let fixture_dir = util::shared("fixtures/dicom/lung2-crop/ct");
    let fixture_series = radscored::ingest::scan(&fixture_dir).expect("fixture scans");
    let fixture = radscored::ingest::assemble(
        radscored::ingest::select_ct(&fixture_dir, &fixture_series, None, Default::default())
            .expect("fixture ct"),
    )
    .expect("fixture volume");
    let seg = util::shared("fixtures/dicom/lung2-crop/seg/seg.dcm");
    let (fixture_mask, _) = roi::seg_mask(&seg, &fixture, None).expect("fixture seg");
    for (flag, transfer_syntax) in
        [("-xd", uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN), ("-xb", "1.2.840.10008.1.2.2")]
    {
        let tmp = tempfile::tempdir().expect("temp dir");
        let sink = DirSink::new(tmp.path(), None);
        // Only the syntax under test, so that the association cannot settle on little endian.
        let mut config = allowlisted_config();
        config.transfer_syntaxes = vec![transfer_syntax.to_owned()];
        let scp = Scp::start(config, sink.clone());
        let out = dcmtk("storescu")
            .args(["-R", flag, "-aet", ALLOWED_SCU, "-aec", OUR_AE, "127.0.0.1", &scp.port.to_string()])
            .args(lung2_crop_files())
            .output()
            .expect("run storescu");
        assert!(out.status.success(), "storescu {flag} failed: {}", text(&out));
        let records = sink.records();
        assert_eq!(records.len(), 63, "{flag}");
        assert!(
            records.iter().all(|r| r.instance.transfer_syntax_uid == transfer_syntax),
            "{flag}: {:?}",
            records.iter().map(|r| r.instance.transfer_syntax_uid.clone()).collect::<Vec<_>>()
        );
        let series = radscored::ingest::scan(tmp.path()).expect("received files scan");
        let volume = radscored::ingest::assemble(
            radscored::ingest::select_ct(tmp.path(), &series, Some(&fixture.series_uid), Default::default())
                .expect("ct series"),
        )
        .expect("received volume");
        assert_eq!(volume.image.geometry, fixture.image.geometry, "{flag}");
        assert_eq!(volume.image.voxels, fixture.image.voxels, "{flag}");
        let received_seg = records
            .iter()
            .find(|r| r.instance.sop_class_uid == uids::SEGMENTATION_STORAGE)
            .expect("the seg arrived");
        let (mask, _) = roi::seg_mask(&received_seg.path, &volume, None).expect("received seg draws");
        assert_eq!(mask.voxels, fixture_mask.voxels, "{flag}");
    }
}

#[test]
fn sink_refusal_reaches_storescu_as_out_of_resources() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let sink = DirSink::new(tmp.path(), Some(Refusal::OutOfResources));
    let scp = Scp::start(allowlisted_config(), sink.clone());
    let file = &lung2_crop_files()[0];
    let out = dcmtk("storescu")
        .args(["-v", "-aet", ALLOWED_SCU, "-aec", OUR_AE, "127.0.0.1", &scp.port.to_string()])
        .arg(file)
        .output()
        .expect("run storescu");
    let said = text(&out);
    assert!(said.contains("Received Store Response (Refused: OutOfResources)"), "{said}");
    assert!(sink.records().is_empty());
}

/// A C-STORE-RQ command set (PS3.7 Table 9.3-1) built here with dicom-object, independently of
/// radscored's encoder.
fn store_request(message_id: u16, sop_class: &str, sop_instance: &str) -> Vec<u8> {
    let command = InMemDicomObject::command_from_element_iter([
        DataElement::new(tags::AFFECTED_SOP_CLASS_UID, VR::UI, dicom_value!(Str, sop_class)),
        DataElement::new(tags::COMMAND_FIELD, VR::US, dicom_value!(U16, [0x0001])),
        DataElement::new(tags::MESSAGE_ID, VR::US, dicom_value!(U16, [message_id])),
        DataElement::new(tags::PRIORITY, VR::US, dicom_value!(U16, [0x0000])),
        DataElement::new(tags::COMMAND_DATA_SET_TYPE, VR::US, dicom_value!(U16, [0x0000])),
        DataElement::new(tags::AFFECTED_SOP_INSTANCE_UID, VR::UI, dicom_value!(Str, sop_instance)),
    ]);
    let mut bytes = Vec::new();
    command.write_dataset_with_ts(&mut bytes, &IMPLICIT_VR_LITTLE_ENDIAN.erased()).expect("encode command");
    bytes
}

/// Sends one C-STORE on an open association and returns the response's Status.
fn raw_store(
    association: &mut dicom_ul::ClientAssociation<std::net::TcpStream>,
    message_id: u16,
    sop_class: &str,
    sop_instance: &str,
    data_set: Vec<u8>,
) -> u16 {
    use std::io::Write;
    let pc = association.presentation_contexts()[0].id;
    let pdu = Pdu::PData {
        data: vec![PDataValue {
            presentation_context_id: pc,
            value_type: PDataValueType::Command,
            is_last: true,
            data: store_request(message_id, sop_class, sop_instance),
        }],
    };
    association.send(&pdu).expect("send C-STORE-RQ");
    let mut writer = association.send_pdata(pc);
    writer.write_all(&data_set).expect("send the data set");
    writer.finish().expect("last data fragment");
    let Pdu::PData { data } = receive(association).expect("C-STORE-RSP") else {
        panic!("no P-DATA in answer to C-STORE-RQ");
    };
    let response =
        InMemDicomObject::read_dataset_with_ts(&data[0].data[..], &IMPLICIT_VR_LITTLE_ENDIAN.erased())
            .expect("response command set");
    response.element(tags::STATUS).expect("Status").to_int::<u16>().expect("Status value")
}

#[test]
fn garbage_data_set_is_answered_cannot_understand_and_the_association_goes_on() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let sink = DirSink::new(tmp.path(), None);
    let scp = Scp::start(allowlisted_config(), sink.clone());
    let mut association = ct_association(scp.port);
    // Bytes that are no data set: an element header claiming more bytes than follow.
    let garbage: Vec<u8> = (0..2000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let status = raw_store(&mut association, 1, uids::CT_IMAGE_STORAGE, "1.2.3.4", garbage);
    assert_eq!(status >> 12, 0xC, "garbage got status {status:#06x}, not a 0xCxxx failure");
    assert!(sink.records().is_empty(), "garbage reached the sink");

    // A real slice on the same association is still stored.
    let (uid, bytes) = first_slice();
    let status = raw_store(&mut association, 2, uids::CT_IMAGE_STORAGE, &uid, bytes);
    assert_eq!(status, 0x0000);
    assert_eq!(sink.records().len(), 1);
    association.release().expect("release");
}

/// The next PDU, waited for again when a signal to this test process (another test's child
/// exiting) interrupts the wait: an interrupted read returned no data, so none is lost.
fn receive(
    association: &mut dicom_ul::ClientAssociation<std::net::TcpStream>,
) -> Result<Pdu, dicom_ul::association::Error> {
    loop {
        match association.receive() {
            Err(error) if interrupted(&error) => continue,
            answer => return answer,
        }
    }
}

fn interrupted(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::Interrupted)
        {
            return true;
        }
        cause = error.source();
    }
    false
}

fn ct_association(port: u16) -> dicom_ul::ClientAssociation<std::net::TcpStream> {
    ClientAssociationOptions::new()
        .calling_ae_title(ALLOWED_SCU)
        .called_ae_title(OUR_AE)
        .with_presentation_context(uids::CT_IMAGE_STORAGE, vec![uids::EXPLICIT_VR_LITTLE_ENDIAN])
        .read_timeout(Duration::from_secs(10))
        .establish(("127.0.0.1", port))
        .expect("association")
}

/// The first lung2-crop slice: its SOP Instance UID and its data set in explicit VR little endian.
fn first_slice() -> (String, Vec<u8>) {
    let original = data_set(&lung2_crop_files()[0]);
    let mut bytes = Vec::new();
    original.write_dataset_with_ts(&mut bytes, &EXPLICIT_VR_LITTLE_ENDIAN.erased()).expect("encode slice");
    (sop_instance_uid(&original), bytes)
}

#[test]
fn shutdown_stops_accepting_and_lets_the_open_association_finish() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let sink = DirSink::new(tmp.path(), None);
    let mut scp = Scp::start(allowlisted_config(), sink.clone());
    let mut association = ct_association(scp.port);
    scp.signal_stop();
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(("127.0.0.1", scp.port)).is_ok() {
        assert!(Instant::now() < deadline, "still accepting connections after shutdown");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (uid, bytes) = first_slice();
    assert_eq!(raw_store(&mut association, 1, uids::CT_IMAGE_STORAGE, &uid, bytes), 0x0000);
    association.release().expect("release");
    scp.join_within(Duration::from_secs(5));
    assert_eq!(sink.records().len(), 1);
}

#[test]
fn shutdown_aborts_associations_still_open_after_the_grace_period() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut config = allowlisted_config();
    config.shutdown_grace_s = 1;
    let mut scp = Scp::start(config, DirSink::new(tmp.path(), None));
    let mut association = ct_association(scp.port);
    scp.signal_stop();
    scp.join_within(Duration::from_secs(6));
    let answer = receive(&mut association);
    assert!(matches!(answer, Ok(Pdu::AbortRQ { .. })), "the idle association was not aborted: {answer:?}");
}

#[test]
fn store_only_classes_are_stored_and_flagged_and_others_are_not_negotiated() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let sink = DirSink::new(tmp.path(), None);
    let mut config = allowlisted_config();
    config.store_only_sop_classes = vec![uids::SECONDARY_CAPTURE_IMAGE_STORAGE.to_owned()];
    let scp = Scp::start(config, sink.clone());
    // A slice relabelled as Secondary Capture.
    let mut obj = data_set(&lung2_crop_files()[0]);
    obj.put(DataElement::new(
        tags::SOP_CLASS_UID,
        VR::UI,
        dicom_value!(Str, uids::SECONDARY_CAPTURE_IMAGE_STORAGE),
    ));
    let mut bytes = Vec::new();
    obj.write_dataset_with_ts(&mut bytes, &EXPLICIT_VR_LITTLE_ENDIAN.erased()).expect("encode");
    let mut association = ClientAssociationOptions::new()
        .calling_ae_title(ALLOWED_SCU)
        .called_ae_title(OUR_AE)
        .with_presentation_context(
            uids::SECONDARY_CAPTURE_IMAGE_STORAGE,
            vec![uids::EXPLICIT_VR_LITTLE_ENDIAN],
        )
        .establish(("127.0.0.1", scp.port))
        .expect("association");
    let status =
        raw_store(&mut association, 1, uids::SECONDARY_CAPTURE_IMAGE_STORAGE, &sop_instance_uid(&obj), bytes);
    assert_eq!(status, 0x0000);
    association.release().expect("release");
    let records = sink.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].instance.handling, Handling::StoreOnly);

    // Not on the list: the presentation context is refused, so nothing can be sent.
    let refused = ClientAssociationOptions::new()
        .calling_ae_title(ALLOWED_SCU)
        .called_ae_title(OUR_AE)
        .with_presentation_context(uids::MR_IMAGE_STORAGE, vec![uids::EXPLICIT_VR_LITTLE_ENDIAN])
        .establish(("127.0.0.1", scp.port));
    assert!(refused.is_err(), "MR Image Storage was negotiated");
}

#[test]
fn deeply_nested_data_set_is_refused_before_the_parser_and_the_scp_lives_on() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let sink = DirSink::new(tmp.path(), None);
    let scp = Scp::start(allowlisted_config(), sink.clone());
    // A CT slice whose sequences nest 5000 levels deep (the hostile-input corpus): parsed by
    // recursion, it would overflow the stack and abort the whole process.
    let file = util::repo().join("tests/hostile/corpus/deep_nesting/ct_depth_5000.dcm");
    let bytes = std::fs::read(&file).expect("corpus file (tests/hostile/corpus)");
    let mut reader = &bytes[128..];
    let meta = dicom_object::FileMetaTable::from_reader(&mut reader).expect("file meta group");
    let data_set = reader.to_vec();
    let uid = meta.media_storage_sop_instance_uid().trim_end_matches('\0').to_owned();
    let mut association = ct_association(scp.port);
    let status = raw_store(&mut association, 1, uids::CT_IMAGE_STORAGE, &uid, data_set);
    assert_eq!(status >> 12, 0xC, "status {status:#06x}, not a 0xCxxx failure");
    association.release().expect("release");
    assert!(sink.records().is_empty());
    let out = echoscu(scp.port, ALLOWED_SCU, OUR_AE);
    assert!(out.status.success(), "SCP gone after the hostile data set: {}", text(&out));
}

#[test]
fn instance_over_the_size_limit_is_refused_out_of_resources() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let sink = DirSink::new(tmp.path(), None);
    let mut config = allowlisted_config();
    config.max_instance_bytes = 10_000;
    let scp = Scp::start(config, sink.clone());
    let mut association = ct_association(scp.port);
    let (uid, bytes) = first_slice();
    assert!(bytes.len() > 10_000);
    assert_eq!(raw_store(&mut association, 1, uids::CT_IMAGE_STORAGE, &uid, bytes), 0xA700);
    association.release().expect("release");
    assert!(sink.records().is_empty());
}

#[test]
fn silent_connections_are_closed_by_the_artim_and_idle_timers() {
    use std::io::Read;
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut config = allowlisted_config();
    config.artim_timeout_s = 1;
    config.idle_timeout_s = 1;
    let scp = Scp::start(config, DirSink::new(tmp.path(), None));

    // A connection that never sends an A-ASSOCIATE-RQ is closed when the ARTIM timer expires.
    let mut silent = std::net::TcpStream::connect(("127.0.0.1", scp.port)).expect("connect");
    silent.set_read_timeout(Some(Duration::from_secs(5))).expect("read timeout");
    let started = Instant::now();
    let mut buffer = [0u8; 16];
    assert_eq!(silent.read(&mut buffer).expect("closed, not timed out"), 0);
    assert!(started.elapsed() < Duration::from_secs(4));

    // An association that goes quiet is aborted after the idle timeout.
    let mut association = ct_association(scp.port);
    let answer = receive(&mut association);
    assert!(matches!(answer, Ok(Pdu::AbortRQ { .. })), "idle association not aborted: {answer:?}");
}

// ---------------------------------------------------------------------------------------------
// radscored send

#[test]
fn send_delivers_every_file_to_storescp() {
    let out_dir = tempfile::tempdir().expect("temp dir");
    let (_storescp, port) = start_storescp(out_dir.path(), &[]);
    let study = util::shared("fixtures/dicom/lung2-crop");
    let out =
        radscored().args(["send", "127.0.0.1", &port.to_string()]).arg(&study).output().expect("run send");
    assert!(out.status.success(), "send failed: {}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("sent 63 of 63 files"), "{}", text(&out));

    let received: BTreeMap<String, InMemDicomObject> = std::fs::read_dir(out_dir.path())
        .expect("storescp folder")
        .map(|e| data_set(&e.expect("entry").path()))
        .map(|obj| (sop_instance_uid(&obj), obj))
        .collect();
    assert_eq!(received.len(), 63);
    for file in lung2_crop_files() {
        let original = data_set(&file);
        let stored = received.get(&sop_instance_uid(&original)).expect("file stored by storescp");
        assert!(*stored == original, "data set of {} changed on the way", file.display());
    }
}

#[test]
fn send_falls_back_to_implicit_vr_when_the_peer_takes_only_that() {
    let out_dir = tempfile::tempdir().expect("temp dir");
    let (_storescp, port) = start_storescp(out_dir.path(), &["+xi"]);
    let files = lung2_crop_files();
    let out = radscored()
        .args(["send", "127.0.0.1", &port.to_string()])
        .args(&files[..3])
        .output()
        .expect("run send");
    assert!(out.status.success(), "send failed: {}", text(&out));
    let stored: Vec<PathBuf> = files_in(out_dir.path());
    assert_eq!(stored.len(), 3);
    for path in stored {
        let file = open_file(&path).expect("stored file");
        assert_eq!(file.meta().transfer_syntax().trim_end_matches('\0'), uids::IMPLICIT_VR_LITTLE_ENDIAN);
        let original = files
            .iter()
            .map(|f| data_set(f))
            .find(|o| sop_instance_uid(o) == sop_instance_uid(&file))
            .expect("original");
        let (ours, theirs) = (&original, &*file);
        let pixels = |obj: &InMemDicomObject| {
            obj.element(tags::PIXEL_DATA).expect("pixels").to_bytes().expect("bytes").to_vec()
        };
        assert_eq!(pixels(ours), pixels(theirs), "pixel data changed in the re-encoding");
    }
}

#[test]
fn send_refuses_a_hostile_file_and_still_sends_the_others() {
    let out_dir = tempfile::tempdir().expect("temp dir");
    let (_storescp, port) = start_storescp(out_dir.path(), &[]);
    let hostile = util::repo().join("tests/hostile/corpus/deep_nesting/ct_depth_5000.dcm");
    let good = &lung2_crop_files()[0];
    let out = radscored()
        .args(["send", "127.0.0.1", &port.to_string()])
        .arg(&hostile)
        .arg(good)
        .output()
        .expect("run send");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("malformed DICOM file"), "{said}");
    assert!(said.contains("sent 1 of 2 files"), "{said}");
    assert_eq!(files_in(out_dir.path()).len(), 1);
}

#[test]
fn send_to_a_closed_port_fails_clearly() {
    let port = free_port();
    let file = &lung2_crop_files()[0];
    let out =
        radscored().args(["send", "127.0.0.1", &port.to_string()]).arg(file).output().expect("run send");
    assert_eq!(out.status.code(), Some(2));
    let said = text(&out);
    assert!(said.contains(&format!("could not connect to 127.0.0.1:{port}")), "{said}");
}

#[test]
fn send_to_a_refusing_storescp_names_the_rejection() {
    let out_dir = tempfile::tempdir().expect("temp dir");
    let (_storescp, port) = start_storescp(out_dir.path(), &["--refuse"]);
    let file = &lung2_crop_files()[0];
    let out =
        radscored().args(["send", "127.0.0.1", &port.to_string()]).arg(file).output().expect("run send");
    assert_eq!(out.status.code(), Some(2));
    let said = text(&out);
    assert!(said.contains("association rejected by ANY-SCP"), "{said}");
    assert!(std::fs::read_dir(out_dir.path()).expect("folder").next().is_none());
}

#[test]
fn send_to_our_scp_stores_the_study_and_reports_refusals() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let sink = DirSink::new(tmp.path(), None);
    let scp = Scp::start(allowlisted_config(), sink.clone());
    let study = util::shared("fixtures/dicom/lung2-crop");
    let send = |port: u16, calling: &str| {
        radscored()
            .args(["send", "127.0.0.1", &port.to_string(), "--aet", calling, "--aec", OUR_AE])
            .arg(&study)
            .output()
            .expect("run send")
    };
    let out = send(scp.port, ALLOWED_SCU);
    assert!(out.status.success(), "send failed: {}", text(&out));
    assert_eq!(sink.records().len(), 63);

    let out = send(scp.port, "STRANGER");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("calling AE title not recognized"), "{}", text(&out));

    let full = tempfile::tempdir().expect("temp dir");
    let refusing = Scp::start(allowlisted_config(), DirSink::new(full.path(), Some(Refusal::OutOfResources)));
    let out = send(refusing.port, ALLOWED_SCU);
    assert_eq!(out.status.code(), Some(2));
    let said = text(&out);
    assert!(said.contains("sent 0 of 63 files"), "{said}");
    assert!(said.contains("0xA700"), "{said}");
}

// ---------------------------------------------------------------------------------------------
// Drop folder

/// The drop-folder intake on its own runtime; stopped (and waited for) when dropped.
struct Watching {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watching {
    fn start(dir: &Path, sink: Arc<dyn InstanceSink>) -> Watching {
        let mut config = WatchConfig::new(dir);
        // Files a rescan finds half-written are looked at again after a second.
        config.settle_s = 1;
        let config = Arc::new(config);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime
                .block_on(watch(config, sink, async {
                    let _ = stopped.await;
                }))
                .expect("watch ends without error");
        });
        Watching { stop: Some(stop), thread: Some(thread) }
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Waits until the sink holds `count` records (or panics after 20 s), then a little longer to
/// catch duplicates.
fn wait_for_records(sink: &DirSink, count: usize) -> Vec<Record> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while sink.records().len() < count {
        assert!(Instant::now() < deadline, "only {} of {count} instances after 20 s", sink.records().len());
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    sink.records()
}

/// Regular files directly in `dir` (not in rejected/).
fn files_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .expect("folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .collect()
}

#[test]
fn dropped_files_reach_the_sink_once_and_leave_the_folder() {
    let drop_dir = tempfile::tempdir().expect("temp dir");
    let store = tempfile::tempdir().expect("temp dir");
    let sink = DirSink::new(store.path(), None);
    let files = lung2_crop_files();
    // Two files are there before the intake starts: the start-up rescan takes them.
    for file in &files[..2] {
        std::fs::copy(file, drop_dir.path().join(file.file_name().expect("name"))).expect("copy");
    }
    let _watching = Watching::start(drop_dir.path(), sink.clone());
    // Written in place (open, write, close), into a subfolder too.
    let sub = drop_dir.path().join("study");
    std::fs::create_dir(&sub).expect("subfolder");
    for (i, file) in files[2..40].iter().enumerate() {
        let target = if i % 2 == 0 { drop_dir.path() } else { sub.as_path() };
        std::fs::copy(file, target.join(file.file_name().expect("name"))).expect("copy");
    }
    // Written elsewhere on the same file system, or under a hidden name, then renamed into place.
    let elsewhere = tempfile::tempdir_in(drop_dir.path().parent().expect("parent")).expect("temp dir");
    for (i, file) in files[40..].iter().enumerate() {
        let name = file.file_name().expect("name");
        let staged = if i % 2 == 0 {
            elsewhere.path().join(name)
        } else {
            drop_dir.path().join(format!(".{}.part", name.to_string_lossy()))
        };
        std::fs::copy(file, &staged).expect("stage");
        std::fs::rename(&staged, drop_dir.path().join(name)).expect("rename into place");
    }

    let records = wait_for_records(&sink, 63);
    assert_eq!(records.len(), 63, "an instance reached the sink twice");
    let uids: std::collections::BTreeSet<String> =
        records.iter().map(|r| r.instance.sop_instance_uid.clone()).collect();
    let expected: std::collections::BTreeSet<String> =
        files.iter().map(|f| sop_instance_uid(&data_set(f))).collect();
    assert_eq!(uids, expected);
    assert!(records.iter().all(|r| r.instance.source == Source::Folder));
    for record in &records {
        let original = files
            .iter()
            .find(|f| sop_instance_uid(&data_set(f)) == record.instance.sop_instance_uid)
            .expect("original");
        assert_eq!(record.instance.part10, std::fs::read(original).expect("original bytes"));
    }
    assert!(files_in(drop_dir.path()).is_empty(), "stored files left in the drop folder");
    assert!(files_in(&sub).is_empty(), "stored files left in the subfolder");
}

#[test]
fn dropped_non_dicom_truncated_and_hostile_files_are_moved_to_rejected() {
    let drop_dir = tempfile::tempdir().expect("temp dir");
    let store = tempfile::tempdir().expect("temp dir");
    let sink = DirSink::new(store.path(), None);
    let _watching = Watching::start(drop_dir.path(), sink.clone());
    let rejected = drop_dir.path().join(REJECTED_DIR);
    // Wait for the intake to be up (it creates rejected/).
    let deadline = Instant::now() + Duration::from_secs(10);
    while !rejected.is_dir() {
        assert!(Instant::now() < deadline, "rejected/ not created");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::write(drop_dir.path().join("notes.txt"), b"not a DICOM file\n").expect("write");
    // A CT slice cut in half: DICOM at the start, no complete data set.
    let slice = std::fs::read(&lung2_crop_files()[0]).expect("slice");
    std::fs::write(drop_dir.path().join("truncated.dcm"), &slice[..slice.len() / 2]).expect("write");
    // A slice nesting sequences 5000 deep (the hostile-input corpus).
    let hostile = util::repo().join("tests/hostile/corpus/deep_nesting/ct_depth_5000.dcm");
    std::fs::copy(&hostile, drop_dir.path().join("deep.dcm")).expect("copy");
    let deadline = Instant::now() + Duration::from_secs(10);
    while files_in(&rejected).len() < 3 {
        assert!(Instant::now() < deadline, "files not moved to rejected/: {:?}", files_in(&rejected));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(std::fs::read(rejected.join("notes.txt")).expect("kept"), b"not a DICOM file\n");
    assert_eq!(std::fs::read(rejected.join("truncated.dcm")).expect("kept").len(), slice.len() / 2);
    assert_eq!(
        std::fs::read(rejected.join("deep.dcm")).expect("kept"),
        std::fs::read(&hostile).expect("corpus")
    );
    assert!(files_in(drop_dir.path()).is_empty());
    assert!(sink.records().is_empty());
}

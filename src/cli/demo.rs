//! `radscored demo`: the appliance end to end on one machine, with nothing else running. Starts
//! the daemon on embedded defaults (spool and site key in a temporary folder, the embedded MQTT
//! broker, free loopback ports), sends the bundled sample study to it by C-STORE (the built-in
//! sender), and prints what the scanner console would show: the technologist's alert and a
//! summary of the result received over MQTT.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::environment;
use crate::daemon::{self, ApplianceConfig, Environment};
use crate::export::scu::{collect_files, send_files, Peer};

/// How long the demo waits for the result.
const RESULT_WAIT: Duration = Duration::from_secs(300);

/// Arguments of `radscored demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Study to send (default: the bundled sample, samples/lung2-crop of the install root).
    pub study_dir: Option<PathBuf>,
}

/// Runs `radscored demo`.
pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let root = environment::search_root();
    let study = args.study_dir.unwrap_or_else(|| root.join("samples/lung2-crop"));
    let files = collect_files(std::slice::from_ref(&study))
        .with_context(|| format!("cannot list the study {}", study.display()))?
        .files;
    if files.is_empty() {
        bail!("no DICOM file in {}", study.display());
    }
    let work = tempfile::tempdir().context("creating the demo's temporary folder")?;
    let (dicom_port, mqtt_port) = (free_port()?, free_port()?);
    let config_text = format!(
        "[site]\nid = \"demo\"\ndevice = \"box1\"\nkey_file = {key:?}\n\n\
         [dicom]\nlisten = \"127.0.0.1:{dicom_port}\"\nae_title = \"RADSCORED\"\n\n\
         [spool]\ndir = {spool:?}\nmin_free_mib = 64\n\n[series]\nquiet_period_s = 1\n\n\
         [embedded_broker]\nport = {mqtt_port}\n\n[model]\nbundle = \"engines/reference\"\n",
        key = work.path().join("site.key"),
        spool = work.path().join("spool"),
    );
    let config = ApplianceConfig::parse(&config_text, &work.path().join("demo.toml"))?;
    let env = Environment { install_root: root, listener: None, backend: crate::gpu::detect() };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let shutdown = CancellationToken::new();
        let daemon_task = tokio::spawn(daemon::run(config, env, shutdown.clone()));
        println!("radscored demo: daemon starting (DICOM 127.0.0.1:{dicom_port}, embedded MQTT 127.0.0.1:{mqtt_port})");
        let outcome = watch_and_send(mqtt_port, dicom_port, files).await;
        shutdown.cancel();
        let stopped = daemon_task.await.context("the daemon task failed")?;
        let (alert, result) = outcome?;
        stopped?;
        print_console(&alert, &result);
        Ok(())
    })
}

/// Subscribes to the demo's topics, waits for `online`, sends the study, and returns the first
/// alert and result that arrive.
async fn watch_and_send(
    mqtt_port: u16,
    dicom_port: u16,
    files: Vec<PathBuf>,
) -> anyhow::Result<(Value, Value)> {
    let mut options = MqttOptions::new("radscored-demo-console", "127.0.0.1", mqtt_port);
    options.set_keep_alive(Duration::from_secs(30)).set_max_packet_size(8 << 20, 8 << 20);
    let (client, mut events) = AsyncClient::new(options, 64);
    let mut sent = false;
    let (mut alert, mut result) = (None, None);
    let deadline = tokio::time::Instant::now() + RESULT_WAIT;
    while alert.is_none() || result.is_none() {
        let event =
            tokio::time::timeout_at(deadline, events.poll()).await.context("no result within 5 minutes")?;
        let publish = match event {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                client.subscribe("radscore/v1/demo/box1/#", QoS::AtLeastOnce).await?;
                continue;
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => publish,
            Ok(_) => continue,
            // The embedded broker starts with the daemon, after the model: retry until it is up.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        let payload: Value = serde_json::from_slice(&publish.payload).unwrap_or(Value::Null);
        let topic = publish.topic.as_str();
        if topic.ends_with("/status") && payload["state"] == "online" && !sent {
            sent = true;
            println!(
                "radscored demo: daemon online (backend {}, bundle {}); sending {} files by C-STORE",
                payload["backend"].as_str().unwrap_or("?"),
                payload["bundle"].as_str().unwrap_or("?"),
                files.len()
            );
            let files = files.clone();
            let peer = Peer { called_ae: "RADSCORED".to_owned(), ..Peer::new("127.0.0.1", dicom_port) };
            let report = tokio::task::spawn_blocking(move || send_files(&peer, &files)).await??;
            println!(
                "radscored demo: {} of {} files stored; waiting for the result",
                report.stored(),
                report.outcomes.len()
            );
        } else if topic.ends_with("/alerts") {
            alert = Some(payload);
        } else if topic.contains("/results/") {
            result = Some(payload);
        }
    }
    let _ = client.disconnect().await;
    Ok((alert.unwrap_or_default(), result.unwrap_or_default()))
}

/// What the console shows: the alert, then one line per endpoint.
fn print_console(alert: &Value, result: &Value) {
    println!();
    println!(
        "console alert [{}] {}: {}",
        alert["severity"].as_str().unwrap_or("?"),
        alert["code"].as_str().unwrap_or("?"),
        alert["text"].as_str().unwrap_or("")
    );
    println!();
    println!(
        "result for study {} (message {})",
        result["study_key"].as_str().unwrap_or("?"),
        result["message_id"].as_str().unwrap_or("?")
    );
    let volume = |region: &str| result[region]["volume_mm3"].as_f64().unwrap_or(f64::NAN) / 1000.0;
    println!("tumor {:.1} ml, 3 mm ring {:.1} ml", volume("tumor"), volume("ring"));
    let predictions = &result["predictions"];
    println!("{}", predictions["label"].as_str().unwrap_or(""));
    if let Some(endpoints) = predictions["endpoints"].as_object() {
        for (name, endpoint) in endpoints {
            let p = endpoint["probability"].as_f64().unwrap_or(f64::NAN);
            let label = if endpoint["label"] == 1 { "positive" } else { "negative" };
            println!("  {name:<7} {p:.3}  {label}");
        }
    }
    println!("analysed in {:.0} ms", result["timings"]["total_ms"].as_f64().unwrap_or(f64::NAN));
}

/// A free loopback TCP port.
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

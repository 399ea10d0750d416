#!/usr/bin/env bash
# The appliance on the bundled sample: builds radscored, starts the daemon on embedded defaults
# (temporary spool and site key, the embedded MQTT broker, free loopback ports), sends the sample
# study (samples/lung2-crop: a real chest CT with its tumor as DICOM SEG) to it by C-STORE, and
# prints the technologist's alert and the result as the scanner console receives them over MQTT.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
exec target/release/radscored demo "$@"

/** Help texts, one per command, so `camera-agent CMD --help` and docs agree. */
export const USAGE: Record<string, string> = {
  main: `camera-agent — the device agent of the camera

Usage: camera-agent <command> [options]

Commands:
  run                 run the daemon (what systemd starts)
  demo                run the agent on simulated hardware with a stand-in cloud
  config check FILE   validate a configuration file
  config show         print the effective configuration, secrets masked
  factory …           factory station: provision, batch, verify-label, self-test
  onvif probe …       query the streamer's ONVIF service (or --discover it) and print JSON
  motion analyze VIDEO  run motion detection over a video file, one JSON line per event
  qr encode|decode …  make a provisioning QR code (PRV1:/WIFI:), or read QR codes from images
  ota keygen|sign|verify …  vendor side of firmware updates: signing keys, signed jobs, checks

Options:
  --help, -h          show help for a command
  --version, -v       print the agent version

Exit codes: 0 ok, 1 runtime failure, 2 invalid usage or configuration.`,
  run: `Usage: camera-agent run [--config FILE]

Runs the agent in the foreground until SIGTERM or SIGINT. Logs JSON lines to
stdout. Under systemd (Type=notify) it reports READY=1 once every service is
up and feeds the watchdog while the agent is healthy.

Options:
  --config FILE   a configuration file that overrides every other layer

Configuration layers, later wins: schema defaults, /etc/camera-agent/config.json
(or $CAMERA_AGENT_SYSTEM_CONFIG), <identity.dir>/config.json,
<data.dir>/config.json (runtime changes), CAMERA_AGENT_* variables, --config.`,
  demo: `Usage: camera-agent demo [--out DIR]

Starts the agent with simulated hardware, a stand-in cloud (an embedded MQTT
broker on a free loopback port) and a simulated camera feed from ffmpeg's
lavfi sources, and prints what a user would see. Ctrl-C ends it.

Every run is a camera fresh out of the box: it provisions itself from a QR
code the simulated phone shows to the lens, joins the simulated Wi-Fi and binds.

Options:
  --out DIR   output folder (default ./demo-output)
  --ap        AP mode instead: no QR code; the camera opens its (simulated) hotspot
              and prints the setup portal's URL on localhost — open it in a browser,
              pick DemoHome, type its password and the label's setup code`,
  'config check': `Usage: camera-agent config check FILE

Validates FILE as a configuration layer: every key must exist and every value
must follow its rule. Exit 0 when valid; otherwise exit 2 and one line per
bad field: path, value (secrets redacted) and the rule broken.`,
  'config show': `Usage: camera-agent config show [--config FILE] [--origin]

Prints the effective configuration as JSON with secrets masked.

Options:
  --config FILE   as for run
  --origin        print one line per key: path, value and the layer it came from`,
};

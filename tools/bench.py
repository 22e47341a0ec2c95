#!/usr/bin/env python
"""`make bench`: the whole site by site.yml against a raw podman script doing the same (a benchmark, not a test).

Measured for each, under the prefix aegisbench on 127.0.0.3 beside a live deployment, images already present:
1. cold converge: no pod, volume, secret or file to start from; done when every container is healthy and every
   bootstrap is done (PostgreSQL roles, OpenBao init/unseal/AppRole, realm, client secrets, OIDC);
2. no-op rerun: time and changed count;
3. single-pod upgrade: one setting of the core pod changed (RUST_LOG); time and which containers were recreated; then
   the same kind of change with `--tags core`, the documented way to upgrade one pod.

The raw script is tools/bench_baseline.sh (its header says what it does). Its input is read back from the first
site.yml converge: the podman commands it ran, its rendered files, passwords, policy and realm. Both runs end with
the same check (every health check, OpenBao unsealed, the stand-ins' dependency reports all "ok"), so the ratios
compare runs that reach the same state.

Runs alternate (site.yml, raw, site.yml, raw ...) so that load from the rest of the host hits both alike; each cold
converge starts from nothing (pods, volumes, secrets, files, the controller's passwords and keys removed). Before
each timed run both sides wait, untimed, until the host's CPUs have been quiet for 10 s (the JVMs warm up in bursts
for a minute or two after a cold start): a rerun is measured against a settled platform, as operators run it. The table
has medians, against the speed targets: cold converge <= 1.3x the raw script, no-op <= 1.5x, upgrade <= site.yml's
no-op + the raw recreate. Each run's numbers are printed too, to show the noise. Then the minimal profile (3 pods)
is deployed alone and its no-op timed beside the full one's (8 pods): what each pod costs a rerun.

Environment:
  BENCH_RUNS=3           site.yml/raw runs to take the medians of (and no-op reruns of the minimal profile)
  BENCH_PROFILE_TASKS=1  one more site.yml no-op in the first run, with the profile_tasks callback (every task);
                         its output goes to a file whose path is printed, to attach to a report
  BENCH_RAW_TIMEOUT=180  seconds for one raw run
"""
import datetime
import json
import os
import pathlib
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
PREFIX = "aegisbench"
BIND = "127.0.0.3"
CONFIG_DIR = pathlib.Path("/etc") / PREFIX
# The pods, from the collection's pod registry.
PODS = [pod.replace("_", "-") for pod in
        yaml.safe_load((ROOT / "roles/common/vars/main.yml").read_text())["__aegis_pods"]]
# Seconds for one raw run; then the bench ends, naming the containers that were not ready.
RAW_TIMEOUT = int(os.environ.get("BENCH_RAW_TIMEOUT", "180"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
PROFILE_TASKS = os.environ.get("BENCH_PROFILE_TASKS") == "1"
PROFILE_ENV = {"ANSIBLE_CALLBACKS_ENABLED": "profile_tasks", "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "all"}
# The minimal profile, from the common role's defaults: its no-op beside the full one's gives the cost of a pod.
MINIMAL = yaml.safe_load((ROOT / "roles/common/defaults/main/platform.yml").read_text())["aegis_profiles"]["minimal"]
# A timed run starts once the host's CPUs were at most SETTLED_BUSY busy for SETTLED_FOR s, sampled every
# SETTLE_SAMPLE s (or after SETTLE_TIMEOUT s).
SETTLED_BUSY = 0.10
SETTLED_FOR = 10
SETTLE_SAMPLE = 2
SETTLE_TIMEOUT = 180
SITE_TIMEOUT = 900  # seconds for one site.yml run (its own waits are up to 300 s)
UPGRADE = ["-e", "aegis_core_rust_log=debug"]
# The documented way to upgrade one pod: the same kind of change, only the core pod's tasks.
TAGGED_UPGRADE = ["--tags", "core", "-e", "aegis_core_rust_log=trace"]
# Podman secrets the raw script mints itself in its bootstrap (by their target variable); the others are input.
MINTED = {"OPENBAO_SECRET_ID"}
# Stand-ins whose health body reports each dependency ("ok" / "not configured" / "error: ...").
# The AEGIS containers' own /health reports, read inside them with bash (their images have no HTTP client).
REPORTS = {"core-runtime": (8088, "/health"), "temporal-worker": (3000, "/health"),
           "seal-gateway-gateway": (8089, "/health?verbose=1")}


class Failed(Exception):
    pass


def podman(*args, check=True):
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=check)


def ours(kind):
    """Names of this bench's own pods, volumes or secrets (never the live `aegis-*` ones or a test's)."""
    out = podman(kind, "ls", "--format", "{{.Name}}", check=False).stdout.split()
    return [name for name in out if name.startswith(PREFIX + "-")]


def cleanup():
    for pod in ours("pod"):
        podman("pod", "rm", "--force", "--time", "0", pod, check=False)
    for kind in ("volume", "secret"):
        for name in ours(kind):
            podman(kind, "rm", name, check=False)
    podman("network", "rm", "--force", PREFIX + "-network", check=False)
    subprocess.run(["rm", "-rf", str(CONFIG_DIR)], check=True)


def run(label, args, env, timeout):
    """(seconds, stdout, stderr) of a command in its own process group. On timeout the whole group is killed
    (ansible's workers, the script's podman calls), so nothing keeps running behind the bench."""
    start = time.monotonic()
    proc = subprocess.Popen(args, env=dict(os.environ, **env), text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise Failed("%s: not done after %d s" % (label, timeout)) from None
    if proc.returncode != 0:
        raise Failed("%s failed (rc=%d):\n%s" % (label, proc.returncode, (out + err)[-3000:]))
    return time.monotonic() - start, out, err


def site(secrets, *extra, env=None, log=None):
    """One site.yml run: (seconds, changed count of its recap). Its output is also written to `log` when given."""
    args = [str(ROOT / ".venv/bin/ansible-playbook"), "-i", str(ROOT / "inventories/local"), str(ROOT / "playbooks/site.yml"),
            "-e", "aegis_name_prefix=" + PREFIX, "-e", "aegis_bind_address=" + BIND, "-e", "aegis_secrets_dir=" + secrets, *extra]
    env = dict(env or {}, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    elapsed, out, dummy = run(" ".join(["site.yml", *extra]), args, env, SITE_TIMEOUT)
    if log:
        log.write_text(out)
    return elapsed, sum(int(n) for n in re.findall(r"changed=(\d+)", out.rsplit("PLAY RECAP", maxsplit=1)[-1]))


def raw(work, *args):
    """One run of the raw script: (seconds, its "changed:" lines); fails when its final status is not all healthy."""
    env = {"BENCH_INPUT": str(work / "input"), "BENCH_STATE": str(work / "state"), "PREFIX": PREFIX, "BIND": BIND}
    label = "raw " + " ".join(args)
    elapsed, out, dummy = run(label, ["bash", str(ROOT / "tools/bench_baseline.sh"), *args], env, RAW_TIMEOUT)
    lines = out.splitlines()
    unhealthy = [line for line in lines if line.startswith("status:") and ("NOT" in line or "sealed=true" in line)]
    if unhealthy:
        raise Failed("%s: its status shows %s" % (label, "; ".join(unhealthy)))
    return elapsed, [line[len("changed: "):] for line in lines if line.startswith("changed: ")]


def recorded():
    """{pod: [(name, podman command)]}, the pod first: what the converge ran, as podman recorded it."""
    commands = {}
    for pod in PODS:
        name = "%s-%s" % (PREFIX, pod)
        info = json.loads(podman("pod", "inspect", name, "--format", "json").stdout)
        info = info[0] if isinstance(info, list) else info
        commands[pod] = [(name, info["CreateCommand"])]
        for container in sorted(json.loads(podman("ps", "-a", "--filter", "pod=" + name, "--format", "json").stdout),
                                key=lambda c: c["Created"]):
            if not container.get("IsInfra"):
                detail = json.loads(podman("inspect", container["Id"], "--format", "json").stdout)[0]
                commands[pod].append((container["Names"][0], detail["Config"]["CreateCommand"]))
    return commands


def containers(commands):
    return [name for objects in commands.values() for name, dummy in objects[1:]]


def ids(names):
    return {name: podman("inspect", "--format", "{{.Id}}", name, check=False).stdout.strip() for name in names}


def stamp(text):
    """podman's RFC 3339 time (nanoseconds) as epoch seconds."""
    return datetime.datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", text)).timestamp()


def readiness(names, since):
    """{name: (started, healthy)} in seconds after `since`: when the container last started, and its first passing
    health check in podman's health log (None when it never passed or does not exist). The log keeps 5 entries;
    both deployers probe a container at most twice after it passed, so the first pass is still there."""
    ready = {}
    for name in names:
        state = state_of(name)
        started = stamp(state["StartedAt"]) - since if state.get("Running") else None
        passed = [stamp(entry["Start"]) for entry in (state.get("Health") or {}).get("Log") or [] if entry["ExitCode"] == 0]
        ready[name] = (started, min(passed) - since if passed else None)
    return ready


def state_of(name):
    """podman's State of a container, {} when it does not exist."""
    out = podman("inspect", "--format", "json", name, check=False).stdout.strip()
    found = json.loads(out) if out.startswith("[") else []
    return found[0]["State"] if found else {}


def last_health(name):
    state = state_of(name)
    if not state:
        return "no such container"
    log = (state.get("Health") or {}).get("Log") or [{"Output": "never ran"}]
    return "%s, %s" % (state["Status"], " ".join(log[-1]["Output"].split())[:160])


def busy_fraction(window):
    """Share of the host's CPU time spent busy over `window` seconds (/proc/stat, all CPUs)."""
    def sample():
        with open("/proc/stat", encoding="ascii") as handle:
            values = [int(field) for field in handle.readline().split()[1:]]
        return sum(values), values[3] + values[4]  # total, idle + iowait
    total, idle = sample()
    time.sleep(window)
    total2, idle2 = sample()
    return 1 - (idle2 - idle) / max(total2 - total, 1)


def settle():
    """Seconds waited (untimed) until the host was quiet for SETTLED_FOR s. After a cold start the JVMs (Keycloak,
    Temporal) compile and warm their caches in bursts for a minute or two, and a run then competes with them for the
    CPU; operators rerun a settled platform, so every timed run of both deployers starts on a quiet host."""
    start = time.monotonic()
    quiet = 0
    while quiet < SETTLED_FOR and time.monotonic() - start < SETTLE_TIMEOUT:
        quiet = quiet + SETTLE_SAMPLE if busy_fraction(SETTLE_SAMPLE) <= SETTLED_BUSY else 0
    return round(time.monotonic() - start, 1)


def end_state(names):
    """The same check after both runs: every health check, OpenBao's seal state, the stand-ins' dependency reports.
    Dependency results are cached for 5 s by the stand-ins, so give them up to 20 s to settle."""
    deadline = time.monotonic() + 20
    while True:
        unhealthy = [name for name in names if podman("healthcheck", "run", name, check=False).returncode != 0]
        try:
            with urllib.request.urlopen("http://%s:8200/v1/sys/seal-status" % BIND, timeout=5) as answer:
                sealed = json.load(answer)["sealed"]
        except OSError as exc:
            sealed = "unknown (%s)" % exc
        errors = []
        for container, (port, path) in REPORTS.items():
            request = ("exec 3<>/dev/tcp/127.0.0.1/%d && printf 'GET %s HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && cat <&3"
                       % (port, path))
            answer = podman("exec", "%s-%s" % (PREFIX, container), "bash", "-c", request, check=False).stdout
            out = answer.replace("\r\n", "\n").partition("\n\n")[2]
            report = json.loads(out)["dependencies"] if out.startswith("{") else {"health": "no report"}
            errors += ["%s %s: %s" % (container, dep, value) for dep, value in report.items() if value not in ("ok", "not configured")]
        if (not unhealthy and sealed is False and not errors) or time.monotonic() > deadline:
            break
        time.sleep(2)
    if not unhealthy and sealed is False and not errors:
        return "%d/%d healthy, OpenBao unsealed, every dependency reported ok" % (len(names), len(names))
    return "NOT the expected state: unhealthy %s; OpenBao sealed=%s; %s" % (unhealthy or "none", sealed, "; ".join(errors) or "")


def http_json(method, url, body=None, token=None, form=None):
    headers = {"Authorization": "Bearer " + token} if token else {}
    data = urllib.parse.urlencode(form).encode() if form else None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers, method=method), timeout=10) as answer:
        text = answer.read()
    return json.loads(text) if text else None


def realm_export(admin_password):
    """The site's realm as the raw script creates it: settings, roles, client scopes, clients (without ids and
    secrets: the server makes its own) and service-account roles, without what Keycloak puts in every new realm."""
    base = "http://%s:8180" % BIND
    token = http_json("POST", base + "/realms/master/protocol/openid-connect/token",
                      form={"grant_type": "password", "client_id": "admin-cli", "username": "admin", "password": admin_password})["access_token"]

    def api(method, path, body=None):
        return http_json(method, base + "/admin/realms" + urllib.parse.quote(path, safe="/?=&"), body, token)

    def strip(rep):
        rep = {key: value for key, value in rep.items() if key not in ("id", "containerId", "secret", "access")}
        if "protocolMappers" in rep:
            rep["protocolMappers"] = [strip(mapper) for mapper in rep["protocolMappers"]]
        return rep

    realm = next(item["realm"] for item in api("GET", "") if item["realm"] != "master")
    # Keycloak's built-ins, read from a throwaway realm.
    probe = PREFIX + "-probe"
    api("POST", "", {"realm": probe})
    builtin = {kind: {item.get("clientId") or item["name"] for item in api("GET", "/%s/%s" % (probe, kind))}
               for kind in ("roles", "client-scopes", "clients")}
    api("DELETE", "/" + probe)
    export = {"realm": strip(api("GET", "/" + realm)), "serviceAccountRoles": {}}
    for kind, key in (("roles", "roles"), ("client-scopes", "clientScopes"), ("clients", "clients")):
        export[key] = [strip(item) for item in api("GET", "/%s/%s" % (realm, kind))
                       if (item.get("clientId") or item["name"]) not in builtin[kind] and not (item.get("name") or "").startswith("default-roles-")]
    for client in api("GET", "/%s/clients" % realm):
        if client["clientId"] not in builtin["clients"] and client.get("serviceAccountsEnabled"):
            user = api("GET", "/%s/clients/%s/service-account-user" % (realm, client["id"]))
            export["serviceAccountRoles"][client["clientId"]] = [
                role["name"] for role in api("GET", "/%s/users/%s/role-mappings/realm" % (realm, user["id"]))
                if not role["name"].startswith("default-roles-")]
    return export


def psql(sql):
    return podman("exec", "--user", "postgres", PREFIX + "-database-postgres", "psql", "-X", "-A", "-t", "-U", "aegis",
                  "-d", "postgres", "-c", sql).stdout


def write_pods(directory, commands):
    directory.mkdir(exist_ok=True)
    for number, (pod, objects) in enumerate(commands.items(), 1):
        (directory / ("%d-%s" % (number, pod))).write_text("".join("%s %s\n" % (name, shlex.join(cmd)) for name, cmd in objects))


def user_options(volume):
    """The options a `podman volume create` was given (podman also lists the UID and GID it derived from them)."""
    return sorted((key, value) for key, value in (volume.get("Options") or {}).items() if key in ("type", "o", "device"))


def export_input(work, secrets, commands):
    """The raw script's input, read from the converged site (untimed): see tools/bench_baseline.sh."""
    inp = work / "input"
    inp.mkdir()
    write_pods(inp / "pods", commands)
    # Volumes created with options (an owner for a non-root container): "<name> <podman volume create options>".
    volumes = json.loads(podman("volume", "inspect", *ours("volume"), "--format", "json").stdout or "[]")
    (inp / "volumes").write_text("".join("%s %s\n" % (vol["Name"], " ".join("--opt %s=%s" % item for item in user_options(vol)))
                                         for vol in volumes if user_options(vol)))
    # cp -a keeps modes and owners (some files are read by a container's non-root user). Receipts are site.yml's
    # bookkeeping; the AppRole env file is written by the raw script from the credentials it mints.
    subprocess.run(["cp", "-a", str(CONFIG_DIR), str(inp / "files")], check=True)
    subprocess.run(["rm", "-rf", str(inp / "files/receipts"), str(inp / "files/core/secrets/openbao-approle.env")], check=True)
    (inp / "env").mkdir()
    for objects in commands.values():
        for name, cmd in objects[1:]:
            for option, value in zip(cmd, cmd[1:]):
                secret = dict(part.split("=", 1) for part in value.split(",")[1:]) if option == "--secret" else {}
                if secret.get("type") == "env" and secret["target"] not in MINTED:
                    out = podman("exec", name, "printenv", secret["target"]).stdout
                    (inp / "env" / value.split(",")[0]).write_text(out.rstrip("\n"))
    subprocess.run(["cp", "-a", os.path.join(secrets, "database"), str(inp / "passwords")], check=True)
    for path in (inp / "passwords").iterdir():
        path.write_text(path.read_text().strip())
    (inp / "databases").write_text(psql(
        "SELECT datname || ' ' || pg_get_userbyid(datdba) FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres'"))
    (inp / "grants").write_text(psql(
        "SELECT r.rolname || ' ' || g.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member"
        " JOIN pg_roles g ON g.oid = m.roleid WHERE r.rolname NOT LIKE 'pg\\_%'"))
    root_token = json.loads(pathlib.Path(secrets, "openbao/init.json").read_text())["root_token"]
    request = urllib.request.Request("http://%s:8200/v1/sys/policies/acl/aegis-platform" % BIND, headers={"X-Vault-Token": root_token})
    with urllib.request.urlopen(request, timeout=10) as answer:
        (inp / "policy.hcl").write_text(json.load(answer)["data"]["policy"])
    admin_password = pathlib.Path(secrets, "iam/admin").read_text().strip()
    (inp / "realm.json").write_text(json.dumps(realm_export(admin_password), indent=1))


def fresh(*paths):
    """Nothing of a previous run: the bench's pods, volumes, secrets and files, and these controller directories."""
    cleanup()
    subprocess.run(["rm", "-rf", *map(str, paths)], check=True)


def measure_site(measured, secrets, profile=None):
    """One site.yml run into `measured`: cold converge, no-op, upgrade (with the profiled no-op before the upgrade when
    `profile` names its output file). Returns the recorded commands before and after the upgrade."""
    fresh(secrets)  # the controller's passwords and OpenBao keys too: a cold run generates them
    measured["site settled cold"] = settle()
    start = time.time()
    measured["site cold"] = site(secrets)
    before = recorded()
    names = containers(before)
    measured["site ready"] = readiness(names, start)
    measured["site state"] = end_state(names)
    measured["site settled"] = settle()
    measured["site noop"] = site(secrets)
    if profile:
        site(secrets, env=PROFILE_ENV, log=profile)
    old = ids(names)
    measured["site upgrade"] = site(secrets, *UPGRADE)
    new = ids(names)
    measured["site recreated"] = sorted(name for name in names if new[name] != old[name])
    after = recorded()
    measured["site tagged"] = site(secrets, *TAGGED_UPGRADE)
    return before, after


def measure_raw(measured, work, before, after):
    """One raw run into `measured`: cold converge, no-op, and the upgrade of what site.yml's upgrade changed."""
    fresh(work / "state")
    (work / "state").mkdir()
    write_pods(work / "input/pods", before)  # the last raw upgrade left the new commands there
    names = containers(before)
    measured["raw settled cold"] = settle()
    start = time.time()
    try:
        measured["raw cold"] = raw(work, "deploy")
        problem = None
    except Failed as exc:
        problem = str(exc)
    measured["raw ready"] = readiness(names, start)
    not_ready = [name for name, (dummy, healthy) in measured["raw ready"].items() if healthy is None]
    if problem or not_ready:
        raise Failed("%s; not ready:%s" % (problem or "raw cold converge", "".join(
            "\n  %s (last health check: %s)" % (name, last_health(name)) for name in not_ready) or " none"))
    measured["raw state"] = end_state(names)
    measured["raw settled"] = settle()
    measured["raw noop"] = raw(work, "deploy")
    # The upgrade: the containers whose recorded command the site.yml upgrade changed, recreated from the new one.
    old_commands = {name: cmd for objects in before.values() for name, cmd in objects}
    changed = [name for objects in after.values() for name, cmd in objects if name in names and cmd != old_commands.get(name)]
    write_pods(work / "input/pods", after)
    old = ids(names)
    measured["raw upgrade"] = raw(work, "upgrade", *changed)
    new = ids(names)
    measured["raw recreated"] = sorted(name for name in names if new[name] != old[name])


def measure(results, secrets, work):
    """Fills `results` as it goes, so a failure still reports what was measured."""
    results["load before"] = os.getloadavg()[0]  # other podman work on the host skews every time
    results["runs"] = []
    for number in range(RUNS):
        measured = {}
        results["runs"].append(measured)
        before, after = measure_site(measured, secrets, results.get("profile") if number == 0 else None)
        if number == 0:
            export_input(work, secrets, before)  # untimed; every raw run replays this first converge
            commands = before, after
        measure_raw(measured, work, *commands)
    # The minimal profile alone: its cold converge is not timed, its no-op is (main's cleanup tears it down).
    fresh(secrets)
    minimal = ["-e", "aegis_profile=minimal"]
    site(secrets, *minimal)
    results["minimal settled"] = settle()
    results["minimal noop"] = []
    for dummy in range(RUNS):
        results["minimal noop"].append(site(secrets, *minimal))
    results["load after"] = os.getloadavg()[0]


def median(runs, key):
    """Median seconds of a measurement over the runs that got to it (None when none did)."""
    times = [measured[key][0] for measured in runs if key in measured]
    return statistics.median(times) if times else None


def median_run(runs, kind):
    """The run whose cold converge took the median time (the lower middle of an even count), else the last one that
    has a timeline: its timeline is the one printed."""
    done = sorted((measured for measured in runs if kind + " cold" in measured), key=lambda measured: measured[kind + " cold"][0])
    if done:
        return done[(len(done) - 1) // 2]
    return next((measured for measured in reversed(runs) if kind + " ready" in measured), {})


def which(numbers, total):
    return "every run" if len(numbers) == total > 1 else "run " + ", ".join(map(str, numbers))


def by_value(runs, key, text):
    """[(text of the value, run numbers)] of a per-run result: what every run agrees on is printed once."""
    found = {}
    for number, measured in enumerate(runs, 1):
        if key in measured:
            found.setdefault(text(measured[key]), []).append(number)
    return list(found.items())


def report(results):
    def seconds(value):
        return "%5.1f" % value if value is not None else "    -"

    def timed(value):  # a (seconds, changed) result: changed is a count (site.yml) or the list of changes (raw)
        return "%11s" % ("%.1f (%s)" % (value[0], value[1] if isinstance(value[1], int) else len(value[1])) if value else "-")

    runs = results.get("runs", [])
    first = runs[0] if runs else {}
    print("\nmake bench: %d pods, %d containers, prefix %s on %s, images already present; %d alternating runs; load average %s"
          % (len(PODS), len(first.get("site ready", {})), PREFIX, BIND, len(runs),
             " -> ".join("%.1f" % results[key] for key in ("load before", "load after") if key in results)))
    if "site cold" in first:
        print("\nmedians of BENCH_RUNS=%d runs, seconds:\n" % len(runs))
        print("| | site.yml | raw script | ratio | target |")
        print("|---|---:|---:|---:|---|")
    site_noop, raw_upgrade = median(runs, "site noop"), median(runs, "raw upgrade")
    for label, kind, limit in (("cold converge", "cold", 1.3), ("no-op rerun (full, %d pods)" % len(PODS), "noop", 1.5),
                               ("single-pod upgrade (core)", "upgrade", None),
                               ("single-pod upgrade, --tags core", "tagged", None)):
        site_time, raw_time = median(runs, "site " + kind), median(runs, "raw " + ("upgrade" if kind == "tagged" else kind))
        if site_time is None:
            continue
        ratio = site_time / raw_time if raw_time else None
        if limit:  # a ratio; the upgrade's target is a time: a no-op that finds the change, plus its recreate
            target, met = "<= %.1fx" % limit, ratio <= limit if ratio else None
        else:
            bound = site_noop + raw_upgrade if site_noop is not None and raw_upgrade is not None else None
            target, met = "<= %s s (site no-op + raw recreate)" % seconds(bound).strip(), site_time <= bound if bound else None
        print("| %s | %s | %s | %s | %s: %s |" % (label, seconds(site_time), seconds(raw_time),
                                                  "%.2fx" % ratio if ratio else "-", target, {True: "met", False: "NOT met"}.get(met, "-")))
    minimal = [value[0] for value in results.get("minimal noop", [])]
    if minimal:
        print("| no-op rerun (minimal, %d pods) | %s | - | - | - |" % (len(MINIMAL), seconds(statistics.median(minimal))))
        if site_noop is not None:
            per_pod = (site_noop - statistics.median(minimal)) / (len(PODS) - len(MINIMAL))
            print("\nsite.yml no-op: %.1f s per pod beyond the minimal profile's %d, %.1f s for the rest (the minimal one less its pods)"
                  % (per_pod, len(MINIMAL), statistics.median(minimal) - per_pod * len(MINIMAL)))

    if runs:
        print("\neach run, seconds (changed: site.yml tasks / raw steps); site.yml and raw alternate:")
        kinds = ("cold", "noop", "upgrade")
        print("%-6s %11s %11s %11s  | %11s %11s %11s" % ("", *("site " + kind for kind in kinds), *("raw " + kind for kind in kinds)))
        for number, measured in enumerate(runs, 1):
            print("run %-2d %s  | %s" % (number, " ".join(timed(measured.get("site " + kind)) for kind in kinds),
                                         " ".join(timed(measured.get("raw " + kind)) for kind in kinds)))
    if minimal:
        print("minimal no-op: %s" % ", ".join(timed(value).strip() for value in results["minimal noop"]))
    waits = ["%s %s" % (key, "/".join("%.0f" % measured[key] for measured in runs if key in measured))
             for key in ("site settled cold", "site settled", "raw settled cold", "raw settled")]
    print("waited for a quiet host (s, each run; 'settled' is before the no-op): %s; minimal %s" % (
        ", ".join(waits), results.get("minimal settled", "-")))
    for key, label in (("site recreated", "site.yml"), ("raw recreated", "raw script")):
        for text, numbers in by_value(runs, key, lambda names: ", ".join(names) or "nothing"):
            print("upgrade recreated (%s, %s): %s" % (label, which(numbers, len(runs)), text))
    for key, label in (("site state", "site.yml"), ("raw state", "raw script")):
        for text, numbers in by_value(runs, key, str):
            print("after the cold converge (%s, %s): %s" % (label, which(numbers, len(runs)), text))

    site_run, raw_run = median_run(runs, "site"), median_run(runs, "raw")
    if "site ready" in site_run:
        print("\ncold converge per container of the median run (site.yml run %d, raw run %s), seconds after the run started:"
              % (runs.index(site_run) + 1, runs.index(raw_run) + 1 if raw_run else "-"))
        print("container started / first passing health check")
        print("%-40s %15s %15s" % ("", "site.yml", "raw script"))
        raw_ready = raw_run.get("raw ready", {})
        for name, (started, healthy) in site_run["site ready"].items():
            raw_started, raw_healthy = raw_ready.get(name, (None, None))
            print("%-40s %6s / %5s %6s / %5s" % (name, seconds(started), seconds(healthy), seconds(raw_started), seconds(raw_healthy)))
        for kind, label, chosen in (("site", "site.yml", site_run), ("raw", "raw script", raw_run)):
            starts = [started for started, dummy in chosen.get(kind + " ready", {}).values() if started is not None]
            if starts and kind + " cold" in chosen:
                print("%s: last container started at %.1f s, run done at %.1f s (then: its health wait, the final status pass)"
                      % (label, max(starts), chosen[kind + " cold"][0]))
        print("site.yml runs OpenBao's health check only in its final status play (its unseal step waits on the API).")
    if results.get("profile") and results["profile"].stat().st_size:
        print("\nprofile_tasks of a site.yml no-op (run 1, every task): %s" % results["profile"])
    print("""
ratio = site.yml / raw script. The raw script (tools/bench_baseline.sh) runs the podman commands site.yml ran (read
back from podman) in the same pod order, waiting for each pod's new containers before the next pod (site.yml waits
so for database, secrets and iam, and for the others once, in its final status pass),
and the same bootstraps with curl, jq and psql: PostgreSQL roles, databases and grants; OpenBao init, unseal, KV v2,
AppRole, policy, secret_id; the realm (roles, client scopes, clients, service-account roles); client secrets to KV;
OpenBao OIDC; the runtime's podman secrets; then a status pass (every health check, seal state), as site.yml does.
Its rerun creates what is missing and checks the rest: pods and containers exist and run, every health check,
OpenBao unsealed, AppRole login, realm, KV client secrets, OIDC.
It does not render templates, generate passwords or keys, or validate input (it copies site.yml's rendered files
and reuses its passwords), compare the settings of existing objects, or work out what changed. Its upgrade is told
which container to recreate, while site.yml's is a whole-site rerun that finds it (a no-op plus one recreate).""")


def main():
    results = {}
    work = pathlib.Path(tempfile.mkdtemp(prefix=PREFIX + "-"))  # 0700: passwords, keys, the raw input
    secrets = str(work / "secrets")
    if PROFILE_TASKS:  # outside `work`, which goes at the end; 0600 as the run's output is not meant for everyone
        handle, path = tempfile.mkstemp(prefix=PREFIX + "-profile-tasks-", suffix=".log")
        os.close(handle)
        results["profile"] = pathlib.Path(path)
    failure = None
    try:
        cleanup()
        measure(results, secrets, work)
    except Failed as exc:
        failure = str(exc)
    finally:
        cleanup()
        subprocess.run(["rm", "-rf", str(work)], check=True)
    report(results)
    if failure:
        sys.exit("\nbench stopped: " + failure)


if __name__ == "__main__":
    main()

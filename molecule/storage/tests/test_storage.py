"""Verify the storage pod: health, published ports, metrics, volumes, filer -> WebDAV, data across a pod
recreate, and bad input refused before anything changes."""

import json
import os
import socket
import subprocess
import urllib.error
import urllib.request

import pytest

POD = "aegistest-storage"
ADDRESS = "127.0.0.2"
CONTAINERS = ["master", "volume", "filer", "webdav"]
PUBLISHED = {"master": 9333, "master_metrics": 9324, "volume": 8080, "volume_metrics": 9325,
             "filer": 8888, "filer_metrics": 9326, "webdav": 7333}
GRPC = {"master_grpc": 19333, "volume_grpc": 18080, "filer_grpc": 18888}
METRICS = {9324: "SeaweedFS_master_", 9325: "SeaweedFS_volumeServer_", 9326: "SeaweedFS_filer_"}
VOLUMES = {"master": "aegistest-seaweedfs-master-data", "volume": "aegistest-seaweedfs-volume-data",
           "filer": "aegistest-seaweedfs-filer-data"}
PAYLOAD = b"written through the filer\n" + bytes(range(256))


def url(port, path="/"):
    return "http://%s:%d%s" % (ADDRESS, port, path)


def request(method, target, data=None):
    req = urllib.request.Request(target, data=data, method=method)
    with urllib.request.urlopen(req, timeout=10) as response:
        return response.status, response.read()


def inspect(host, container):
    return json.loads(host.check_output("podman inspect %s-%s --format json", POD, container))[0]


def container_ids(host):
    return {name: inspect(host, name)["Id"] for name in CONTAINERS}


def converge(*extra):
    return subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")] + list(extra),
        capture_output=True, text=True, check=False)


@pytest.mark.parametrize("container", CONTAINERS)
def test_container_running_healthy_and_restarted_always(host, container):
    info = inspect(host, container)
    assert info["State"]["Running"]
    assert host.run("podman healthcheck run %s-%s", POD, container).rc == 0
    assert info["HostConfig"]["RestartPolicy"]["Name"] == "always"


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_port_answers_http_on_test_address(name):
    with socket.create_connection((ADDRESS, PUBLISHED[name]), timeout=5) as conn:
        conn.sendall(b"GET / HTTP/1.0\r\nHost: test\r\n\r\n")
        assert conn.recv(16).startswith(b"HTTP/1.")


@pytest.mark.parametrize("name", sorted(GRPC))
def test_grpc_port_is_not_published_by_default(name):
    with pytest.raises(OSError):
        socket.create_connection((ADDRESS, GRPC[name]), timeout=5).close()


def test_master_is_leader_and_knows_the_volume_server():
    status, body = request("GET", url(9333, "/cluster/status"))
    assert status == 200 and json.loads(body)["IsLeader"] is True
    topology = json.loads(request("GET", url(9333, "/dir/status"))[1])["Topology"]
    nodes = [node["Url"] for dc in topology["DataCenters"] for rack in dc["Racks"] for node in rack["DataNodes"]]
    assert nodes == ["localhost:8080"]


@pytest.mark.parametrize("port", sorted(METRICS))
def test_metrics_are_prometheus_text_of_the_component(port):
    with urllib.request.urlopen(url(port, "/metrics"), timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        lines = response.read().decode().splitlines()
    assert any(line.startswith("# TYPE " + METRICS[port]) for line in lines)
    assert any(line.startswith(METRICS[port]) for line in lines)


@pytest.mark.parametrize("container", sorted(VOLUMES))
def test_volume_is_mounted_at_data(host, container):
    mounts = {m.get("Name"): m["Destination"] for m in inspect(host, container)["Mounts"]}
    assert mounts.get(VOLUMES[container]) == "/data"


def test_file_put_through_filer_is_read_through_webdav():
    assert request("PUT", url(8888, "/aegis-test/hello.txt"), PAYLOAD)[0] in (200, 201)
    assert request("GET", url(7333, "/aegis-test/hello.txt")) == (200, PAYLOAD)


def test_file_put_through_webdav_is_read_through_filer():
    assert request("PUT", url(7333, "/aegis-test/from-webdav.txt"), b"via webdav\n")[0] in (200, 201)
    assert request("GET", url(8888, "/aegis-test/from-webdav.txt")) == (200, b"via webdav\n")


def test_data_survives_pod_removal_and_reconverge(host):
    request("PUT", url(8888, "/aegis-test/hello.txt"), PAYLOAD)
    before = container_ids(host)
    assert host.run("podman pod rm -f -t 0 %s", POD).rc == 0
    result = converge()
    assert result.returncode == 0, result.stdout[-3000:]
    assert set(container_ids(host).values()).isdisjoint(before.values())
    assert request("GET", url(7333, "/aegis-test/hello.txt")) == (200, PAYLOAD)
    assert request("GET", url(8888, "/aegis-test/hello.txt")) == (200, PAYLOAD)


@pytest.mark.parametrize("extra, named", [
    (["-e", "aegis_storage_webdav_port=8888"], ["aegis_storage_webdav_port", "aegis_storage_filer_port"]),
    (["-e", "aegis_storage_master_metrics_port=70000"], ["aegis_storage_master_metrics_port"]),
])
def test_bad_ports_fail_naming_the_variable_and_leave_the_pod_untouched(host, extra, named):
    request("PUT", url(8888, "/aegis-test/hello.txt"), PAYLOAD)
    before = container_ids(host)
    result = converge(*extra)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    for variable in named:
        assert variable in output, output[-3000:]
    assert "changed=0" in output
    assert container_ids(host) == before
    assert request("GET", url(7333, "/aegis-test/hello.txt")) == (200, PAYLOAD)

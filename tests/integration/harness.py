"""Start ec2gwd against the project's all-in-one cloud, for integration tests.

The cloud's credentials come from `tests/cloud/cloud.sh env`; the daemon runs from the build
tree with a temporary conf.d and database, on a free port of 127.0.0.1.
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("EC2GW_BUILD_DIR", os.path.join(ROOT, "build"))


def cloud_env():
    """The export lines of `cloud.sh env`, as a dict."""
    out = subprocess.run(["bash", os.path.join(ROOT, "tests/cloud/cloud.sh"), "env"],
                         check=True, capture_output=True, text=True).stdout
    env = {}
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("export ") and "=" in line:
            k, v = line[len("export "):].split("=", 1)
            env[k] = v.strip().strip("'\"")
    return env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """One ec2gwd process with its own conf.d, database and log file."""

    def __init__(self, extra_conf="", plugins=(), credential_ttl="60s"):
        self.env = cloud_env()
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="ec2gw-it-")
        self.conf = os.path.join(self.dir, "conf.d")
        os.makedirs(self.conf)
        with open(os.path.join(ROOT, "conf.d/00-daemon.yaml")) as f:
            src = f.read()
        src = src.replace("port: 8788", "port: %d" % self.port)
        src = src.replace("/var/lib/ec2gw/ec2gw.sqlite", os.path.join(self.dir, "db.sqlite"))
        src = src.replace("credential_ttl: 60s", "credential_ttl: %s" % credential_ttl)
        with open(os.path.join(self.conf, "00-daemon.yaml"), "w") as f:
            f.write(src)
        # The project's plugin instances, as shipped in conf.d/ (unless a test brings its own).
        if not plugins:
            for name in sorted(os.listdir(os.path.join(ROOT, "conf.d"))):
                if name.endswith(".yaml") and name != "00-daemon.yaml":
                    shutil.copy(os.path.join(ROOT, "conf.d", name), self.conf)
        for name, text in plugins:
            with open(os.path.join(self.conf, name), "w") as f:
                f.write(text)
        if extra_conf:
            with open(os.path.join(self.conf, "50-extra.yaml"), "w") as f:
                f.write(extra_conf)
        self.url = "http://127.0.0.1:%d" % self.port
        self.log_path = os.path.join(self.dir, "ec2gwd.log")
        self.proc = None

    def start(self):
        env = dict(os.environ)
        env["EC2GW_SERVICE_PASSWORD"] = self.env["EC2GW_SERVICE_PASSWORD"]
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [os.path.join(BUILD, "daemon/ec2gwd"), "-c", self.conf,
             "--plugin-dir", os.path.join(BUILD, "plugins")],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                with open(self.log_path) as f:
                    raise RuntimeError("ec2gwd exited: " + f.read())
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("ec2gwd did not answer /healthz within 20 s")

    def metrics(self):
        return urllib.request.urlopen(self.url + "/metrics", timeout=5).read().decode()

    def backend_calls(self, service):
        total = 0
        for line in self.metrics().splitlines():
            if line.startswith('ec2gw_backend_calls_total{service="%s"' % service):
                total += int(line.rsplit(" ", 1)[1])
        return total

    def stop(self):
        """SIGTERM, then check a clean exit (ASan reports make the exit code non-zero)."""
        if self.proc is None:
            return 0
        self.proc.terminate()
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = -9
        self.log.close()
        return rc

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def stop_daemon(daemon, check=True):
    """tearDownModule's part: stop and remove a module's daemon; with check, a non-zero exit
    (a sanitizer report) fails the module."""
    if daemon is None:
        return
    rc = daemon.stop()
    daemon.cleanup()
    if check:
        assert rc == 0, "ec2gwd exited with %s (sanitizer report?)" % rc


def error_code(fn, **kw):
    """The EC2 error code fn(**kw) raises, or None when it succeeds."""
    from botocore.exceptions import ClientError
    try:
        fn(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


class OpenStackAs:
    """An OpenStack service's own view as tenant 1 (demo) or 2 (demo2): a Keystone token and
    plain HTTP to the service's public endpoint in the token's catalog, to check what the
    gateway did or left behind."""

    def __init__(self, env, service_type, tenant=1, timeout=30):
        pre = "OS_" if tenant == 1 else "DEMO2_"
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": env[pre + "USERNAME"], "domain": {"name": "Default"},
            "password": env[pre + "PASSWORD"]}}},
            "scope": {"project": {"name": env[pre + "PROJECT_NAME"],
                                  "domain": {"name": "Default"}}}}}
        req = urllib.request.Request(env["OS_AUTH_URL"].rstrip("/") + "/auth/tokens",
                                     data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        self.timeout = timeout
        with urllib.request.urlopen(req, timeout=timeout) as r:
            self.token = r.headers["X-Subject-Token"]
            cat = json.load(r)["token"]["catalog"]
        self.url = [e["url"] for s in cat if s["type"] == service_type for e in s["endpoints"]
                    if e["interface"] == "public"][0].rstrip("/")

    def call(self, method, path, body=None):
        """The parsed JSON answer (None when empty); an HTTP error raises HTTPError."""
        headers = {"X-Auth-Token": self.token}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        with urllib.request.urlopen(req, timeout=self.timeout) as r:
            data = r.read()
            return json.loads(data) if data else None

    def get(self, path):
        return self.call("GET", path)

    def post(self, path, body):
        return self.call("POST", path, body)

    def delete(self, path):
        return self.call("DELETE", path)


def boto3_client(daemon, which=1, **kw):
    import boto3
    from botocore.config import Config
    env = daemon.env
    suffix = "" if which == 1 else "_2"
    return boto3.client(
        "ec2", endpoint_url=daemon.url, region_name="RegionOne",
        aws_access_key_id=env["EC2_ACCESS_KEY" + suffix],
        aws_secret_access_key=env["EC2_SECRET_KEY" + suffix],
        config=Config(retries={"max_attempts": 1}, **kw))


def model_has(client, operation, member, output=False):
    """Whether the installed botocore's EC2 model knows an input (or output) member: Debian 12's
    botocore (1.29) predates some that newer clients send, and a Debian user runs that one."""
    op = client.meta.service_model.operation_model(operation)
    shape = op.output_shape if output else op.input_shape
    return shape is not None and member in shape.members


class RawAnswers:
    """The raw XML of each answer a boto3 client receives, to read members that the installed
    botocore's model drops while parsing (the request itself stays boto3's own)."""

    def __init__(self, client):
        self.bodies = []
        client.meta.events.register("after-call.ec2", self._keep)

    def _keep(self, http_response=None, **_):
        self.bodies.append(http_response.content)

    def last(self):
        import xml.etree.ElementTree as ET
        root = ET.fromstring(self.bodies[-1])
        for el in root.iter():
            el.tag = el.tag.rsplit("}", 1)[-1]
        return root


def query(daemon, params, which=1):
    """One EC2 Query request signed with SigV4 by botocore's own signer, for what the installed
    botocore's model cannot express: (HTTP status, the answer's root element, namespaces
    stripped)."""
    import urllib.error
    import urllib.parse
    import xml.etree.ElementTree as ET
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    suffix = "" if which == 1 else "_2"
    body = urllib.parse.urlencode(dict({"Version": "2016-11-15"}, **params))
    req = AWSRequest(method="POST", url=daemon.url.rstrip("/") + "/", data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(daemon.env["EC2_ACCESS_KEY" + suffix],
                          daemon.env["EC2_SECRET_KEY" + suffix]), "ec2", "RegionOne").add_auth(req)
    http = urllib.request.Request(req.url, data=body.encode(), method="POST",
                                  headers={k: v for k, v in req.headers.items()})
    try:
        with urllib.request.urlopen(http, timeout=120) as r:
            status, data = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, data = e.code, e.read()
    root = ET.fromstring(data)
    for el in root.iter():
        el.tag = el.tag.rsplit("}", 1)[-1]
    return status, root


def aws_cli(daemon, *args, which=1):
    env = dict(os.environ)
    suffix = "" if which == 1 else "_2"
    env.update({"AWS_ACCESS_KEY_ID": daemon.env["EC2_ACCESS_KEY" + suffix],
                "AWS_SECRET_ACCESS_KEY": daemon.env["EC2_SECRET_KEY" + suffix],
                "AWS_DEFAULT_REGION": "RegionOne", "AWS_MAX_ATTEMPTS": "1"})
    env.pop("AWS_PROFILE", None)
    return subprocess.run(["aws", "--endpoint-url", daemon.url] + list(args),
                          capture_output=True, text=True, env=env)


def summary(result):
    """The plain closing line CI reads: 'N passed, N failed'."""
    failed = len(result.failures) + len(result.errors)
    skipped = len(result.skipped)
    passed = max(0, result.testsRun - failed - skipped)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 0 if failed == 0 and result.testsRun > 0 else 1

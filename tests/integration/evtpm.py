"""A software TPM for integration tests: swtpm (0.7) on two consecutive free
loopback ports, with the TCTI string eve-agent and tpm2-tools take.

    from evtpm import SwTpm

    if not SwTpm.available():
        sys.exit(77)                      # skip
    with SwTpm() as tpm:                  # fresh state in a temporary directory
        run_agent("--tcti", tpm.tcti)
        tpm.tool("tpm2_readpublic", "-c", "0x817FFFFF")

The swtpm TCTI of tpm2-tss finds the control channel at port + 1, so both
ports are chosen together.  swtpm serves one client at a time: a tool call
waits until the agent has closed its connection (eve-agent connects only for
the duration of one operation).  A library module, not a test (not executable).
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time

TPM_KEY_HANDLE = "0x817FFFFF"  # EVE's device key (device-api 2.3)


def _free_port_pair():
    """A port p such that p and p + 1 are both free right now."""
    for _ in range(100):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            if port >= 65535:
                continue
            with socket.socket() as b:
                try:
                    b.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
            return port
    raise RuntimeError("no two consecutive free ports")


class SwTpm:
    """One swtpm process.  state_dir keeps the TPM's state (and so its keys)
    across stop()/start(); by default a temporary directory removed on stop."""

    def __init__(self, state_dir=None):
        self._own_dir = state_dir is None
        self.state_dir = state_dir or tempfile.mkdtemp(prefix="evtpm.")
        os.makedirs(self.state_dir, exist_ok=True)
        self.port = None
        self.proc = None
        self.log_path = os.path.join(self.state_dir, "swtpm.log")

    @staticmethod
    def available():
        return shutil.which("swtpm") is not None

    @staticmethod
    def tools_available():
        return shutil.which("tpm2_readpublic") is not None

    @property
    def tcti(self):
        return f"swtpm:host=127.0.0.1,port={self.port}"

    def start(self, timeout=10.0):
        self.port = _free_port_pair()
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            ["swtpm", "socket", "--tpm2",
             "--tpmstate", f"dir={self.state_dir}",
             "--server", f"type=tcp,port={self.port}",
             "--ctrl", f"type=tcp,port={self.port + 1}",
             "--flags", "not-need-init,startup-clear"],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"swtpm exited with {self.proc.returncode}, see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"swtpm does not listen on port {self.port}")

    def stop(self, remove_state=None):
        """Stops swtpm (SIGTERM, then SIGKILL).  remove_state defaults to
        whether the state directory was made here."""
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        if remove_state if remove_state is not None else self._own_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def restart(self):
        """The same TPM state on new ports (a reboot, or a moved simulator)."""
        self.stop(remove_state=False)
        return self.start()

    def tools_env(self, base=None):
        env = dict(base if base is not None else os.environ)
        env["TPM2TOOLS_TCTI"] = self.tcti
        env.setdefault("TSS2_LOG", "all+none")
        return env

    def tool(self, *args, check=True, timeout=30):
        """Runs a tpm2-tools command against this TPM; returns its stdout."""
        r = subprocess.run(list(args), env=self.tools_env(), capture_output=True,
                           timeout=timeout, check=False)
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: exit {r.returncode}: "
                               f"{r.stderr.decode(errors='replace').strip()}")
        return r.stdout.decode(errors="replace")

    def has_device_key(self):
        """Whether EVE's device key handle is in use."""
        return TPM_KEY_HANDLE.lower() in self.tool("tpm2_getcap", "handles-persistent").lower()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

#!/usr/bin/python3
"""`edgeview key`: which key signed commands use (client/signer.c).

Search order with HOME, the environment and /clientauth (EDGEVIEW_CLIENTAUTH_DIR)
pointed at temporary directories; a real ssh-agent; explicit paths that do not
exist; passphrases typed on a pty (right and wrong) and the error without a
terminal; aut 1 with PEM EC, RSA and PKCS#8 keys. Keys come from ssh-keygen
and openssl.
"""
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evtest import Results, Workdir, binary, check, eq, proc_env  # noqa: E402

PASS = "open sesame"
EDGEVIEW = binary("edgeview")


class Keys:
    """Every key file the cases use, made once."""

    def __init__(self, d):
        self.d = d
        ssh = [("ed25519", "ed25519", None, ""), ("ecdsa", "ecdsa", "256", ""),
               ("rsa", "rsa", "2048", ""), ("p384", "ecdsa", "384", ""),
               ("dsa", "dsa", None, ""), ("enc_ecdsa", "ecdsa", "256", PASS),
               ("enc_ed25519", "ed25519", None, PASS), ("enc_rsa", "rsa", "2048", PASS)]
        for name, t, bits, pw in ssh:
            args = ["ssh-keygen", "-q", "-t", t, "-N", pw, "-C", f"{name}@test", "-f", self.path(name)]
            if bits:
                args[4:4] = ["-b", bits]
            subprocess.run(args, check=True, stdin=subprocess.DEVNULL)
        ossl = [("ec_sec1.pem", ["ecparam", "-name", "prime256v1", "-genkey", "-noout"]),
                ("rsa_pkcs1.pem", ["genrsa", "-traditional", "2048"]),
                ("ec_pkcs8.pem", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"]),
                ("enc_pkcs8.pem", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                                   "-aes-256-cbc", "-pass", "pass:" + PASS])]
        for name, args in ossl:
            subprocess.run(["openssl", args[0], "-out", self.path(name)] + args[1:], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.askpass = self.path("askpass.sh")
        with open(self.askpass, "w") as f:
            f.write(f"#!/bin/sh\necho '{PASS}'\n")
        os.chmod(self.askpass, 0o700)

    def path(self, name):
        return os.path.join(self.d, name)

    def fingerprint(self, name):
        out = subprocess.run(["ssh-keygen", "-lf", self.path(name) + ".pub"], check=True,
                             capture_output=True, text=True).stdout
        return out.split()[1]


class Agent:
    """ssh-agent -D on a socket of its own."""

    def __init__(self, d, keys, *names):
        self.sock = os.path.join(d, f"agent.{os.getpid()}.{time.monotonic_ns()}.sock")
        self.proc = subprocess.Popen(["ssh-agent", "-D", "-a", self.sock], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.sock):
            check(time.monotonic() < deadline, "ssh-agent did not start")
            time.sleep(0.02)
        for n in names:
            env = dict(os.environ, SSH_AUTH_SOCK=self.sock, SSH_ASKPASS=keys.askpass,
                       SSH_ASKPASS_REQUIRE="force")
            subprocess.run(["ssh-add", "-q", keys.path(n)], env=env, check=True, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class Case:
    """A HOME, an empty clientauth directory and a clean environment."""

    def __init__(self, wd, name):
        self.dir = os.path.join(wd, name)
        self.home = os.path.join(self.dir, "home")
        self.clientauth = os.path.join(self.dir, "clientauth")
        os.makedirs(os.path.join(self.home, ".ssh"))
        os.makedirs(self.clientauth)
        self.env = proc_env({"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
                             "EDGEVIEW_CLIENTAUTH_DIR": self.clientauth, "LC_ALL": "C"})

    def put(self, src, *rel):
        dst = os.path.join(*rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(src, dst)
        if os.path.exists(src + ".pub") and not dst.endswith(".pub"):
            shutil.copy(src + ".pub", dst + ".pub")
        return dst

    def ssh(self, keys, name, as_name):
        return self.put(keys.path(name), self.home, ".ssh", as_name)

    def config(self, text):
        os.makedirs(os.path.join(self.home, ".edgeview"), exist_ok=True)
        with open(os.path.join(self.home, ".edgeview", "config"), "w") as f:
            f.write(text)

    def run(self, *args, **env):
        """Without a controlling terminal (a new session)."""
        e = dict(self.env, **env)
        p = subprocess.run([EDGEVIEW, "key"] + list(args), env=e, capture_output=True, text=True,
                           timeout=60, stdin=subprocess.DEVNULL, start_new_session=True)
        return p.returncode, p.stdout, p.stderr

    def run_pty(self, args, answers, **env):
        """On a pty that is the controlling terminal; answers each passphrase
        prompt with the next of answers.  Returns (status, everything shown)."""
        e = dict(self.env, **env)
        pid, fd = pty.fork()
        if pid == 0:
            try:
                os.execve(EDGEVIEW, [EDGEVIEW, "key"] + list(args), e)
            finally:
                os._exit(127)
        out, asked, pending = b"", 0, list(answers)
        deadline = time.monotonic() + 60
        try:
            while True:
                check(time.monotonic() < deadline, f"edgeview key hangs; output so far {out!r}")
                r, _, _ = select.select([fd], [], [], 0.2)
                if not r:
                    continue
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    break  # EIO: the child is gone
                if not data:
                    break
                out += data
                if out.count(b"Enter passphrase for key") > asked:
                    asked += 1
                    # after the prompt, echo goes off; give it a moment
                    time.sleep(0.3)
                    os.write(fd, (pending.pop(0) if pending else "") .encode() + b"\n")
        finally:
            if time.monotonic() >= deadline:
                os.kill(pid, signal.SIGKILL)
            _, st = os.waitpid(pid, 0)
            os.close(fd)
        return os.waitstatus_to_exitcode(st), out.decode(errors="replace"), asked


def key_line(out):
    for line in out.splitlines():
        if line.startswith("key:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no key line in {out!r}")


def ok(rc, out, err):
    eq(rc, 0, f"exit status (stderr {err!r})")
    check("verified" in out, f"no verified test signature: {out!r}")


async def help_text(wd, keys):
    c = Case(wd, "help")
    rc, out, _ = c.run("--help")
    eq(rc, 0, "exit")
    check("usage: edgeview key" in out, out)
    rc, _, err = c.run("-aut", "3")
    eq(rc, 2, "bad -aut")
    check("-aut must be 1 or 2" in err, err)
    rc, _, err = c.run("extra")
    eq(rc, 2, "unexpected word")


async def default_ssh_keys(wd, keys):
    c = Case(wd, "default")
    rsa = c.ssh(keys, "rsa", "id_rsa")
    rc, out, err = c.run()
    ok(rc, out, err)
    eq(key_line(out), f"RSA 2048 key {rsa}", "id_rsa alone")
    check(f"fingerprint:    {keys.fingerprint('rsa')}" in out, out)
    check("rsa@test" in out, "the comment of id_rsa.pub is on the public line")
    ecdsa = c.ssh(keys, "ecdsa", "id_ecdsa")
    rc, out, err = c.run()
    ok(rc, out, err)
    eq(key_line(out), f"ECDSA P-256 key {ecdsa}", "id_ecdsa before id_rsa")
    ed = c.ssh(keys, "ed25519", "id_ed25519")
    rc, out, err = c.run()
    ok(rc, out, err)
    eq(key_line(out), f"Ed25519 key {ed}", "id_ed25519 first")
    check("Ed25519 needs edgeviewd" in out, "the note about EVE and Ed25519")
    # aut 1 never takes an SSH key from ~/.ssh
    rc, _, err = c.run("-aut", "1")
    eq(rc, 1, "aut 1")
    eq(err.strip(), "edgeview: this token (aut 1) needs the controller's private key: -key FILE",
       "aut 1 message")


async def search_order(wd, keys):
    c = Case(wd, "order")
    c.ssh(keys, "ed25519", "id_ed25519")
    agent = Agent(wd, keys, "rsa")
    try:
        sock = {"SSH_AUTH_SOCK": agent.sock}
        # the agent comes before ~/.ssh
        rc, out, err = c.run(**sock)
        ok(rc, out, err)
        eq(key_line(out), "ssh-agent key rsa@test (RSA 2048)", "agent")
        eq(out.splitlines()[1], "found via:      ssh-agent", "origin")
        # /clientauth/privatekey before the agent
        ca = c.put(keys.path("ecdsa"), c.clientauth, "privatekey")
        rc, out, err = c.run(**sock)
        ok(rc, out, err)
        eq(key_line(out), f"ECDSA P-256 key {ca}", "clientauth")
        # ~/.edgeview/config before /clientauth, with ~/ expanded
        cfgkey = c.put(keys.path("p384"), c.home, "keys", "cfg_key")
        c.config("# a comment\nOtherSetting: x\nEdgeviewSshKeyPath: ~/keys/cfg_key\n")
        rc, out, err = c.run(**sock)
        ok(rc, out, err)
        eq(key_line(out), f"ECDSA P-384 key {cfgkey}", "config")
        # the EdgeviewSshKeyPath variable before the config file
        envkey = c.put(keys.path("rsa"), c.dir, "env_key")
        rc, out, err = c.run(EdgeviewSshKeyPath=envkey, **sock)
        ok(rc, out, err)
        eq(key_line(out), f"RSA 2048 key {envkey}", "EdgeviewSshKeyPath")
        # EDGEVIEW_KEY before that, -key before EDGEVIEW_KEY
        evkey = c.put(keys.path("ed25519"), c.dir, "ev_key")
        rc, out, err = c.run(EdgeviewSshKeyPath=envkey, EDGEVIEW_KEY=evkey, **sock)
        ok(rc, out, err)
        eq(key_line(out), f"Ed25519 key {evkey}", "EDGEVIEW_KEY")
        rc, out, err = c.run("-key", envkey, EDGEVIEW_KEY=evkey, **sock)
        ok(rc, out, err)
        eq(key_line(out), f"RSA 2048 key {envkey}", "-key")
        # aut 1 takes the same files, but never the agent
        os.unlink(os.path.join(c.home, ".edgeview", "config"))
        rc, out, err = c.run("-aut", "1", **sock)
        ok(rc, out, err)
        eq(key_line(out), f"ECDSA P-256 key {ca}", "aut 1 clientauth")
        os.unlink(ca)
        rc, _, err = c.run("-aut", "1", **sock)
        eq(rc, 1, "aut 1 without a file")
        check("needs the controller's private key: -key FILE" in err, err)
    finally:
        agent.stop()


async def explicit_missing(wd, keys):
    c = Case(wd, "missing")
    c.ssh(keys, "ed25519", "id_ed25519")  # there, but must not be used
    missing = os.path.join(c.dir, "nope")
    for args, env, origin in [(["-key", missing], {}, "-key or EDGEVIEW_KEY"),
                              ([], {"EDGEVIEW_KEY": missing}, "-key or EDGEVIEW_KEY"),
                              ([], {"EdgeviewSshKeyPath": missing}, "EdgeviewSshKeyPath")]:
        rc, out, err = c.run(*args, **env)
        eq(rc, 1, f"{origin} exit")
        eq(out, "", "nothing on stdout")
        eq(err.strip(), f"edgeview: key file {missing} ({origin}): No such file or directory", "message")
    c.config(f"EdgeviewSshKeyPath:{missing}\n")
    rc, _, err = c.run()
    eq(rc, 1, "config exit")
    check(f"key file {missing} (~/.edgeview/config)" in err, err)
    # a file that is not a key
    bad = os.path.join(c.dir, "bad.pem")
    with open(bad, "w") as f:
        f.write("hello\n")
    rc, _, err = c.run("-key", bad)
    eq(rc, 1, "bad file")
    check("not a private key" in err, err)
    # a public key given by mistake
    rc, _, err = c.run("-key", keys.path("ed25519") + ".pub")
    eq(rc, 1, "public key file")
    check("not a private key" in err, err)


async def nothing_found(wd, keys):
    c = Case(wd, "nothing")
    rc, out, err = c.run()
    eq(rc, 1, "exit")
    eq(len(err.splitlines()), 1, "one line")
    for part in ["no SSH key", "EdgeviewSshKeyPath", "~/.edgeview/config",
                 os.path.join(c.clientauth, "privatekey"), "ssh-agent (SSH_AUTH_SOCK not set)",
                 "~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa", "-key FILE"]:
        check(part in err, f"{part!r} not in {err!r}")
    rc, _, err = c.run(SSH_AUTH_SOCK=os.path.join(c.dir, "no.sock"))
    check("ssh-agent (cannot connect to the ssh-agent socket)" in err, err)


async def agent_selection(wd, keys):
    c = Case(wd, "agentsel")
    rsa = c.ssh(keys, "rsa", "id_rsa")
    # DSA and P-384 (the agent would hash with SHA-384) are skipped
    agent = Agent(wd, keys, "dsa", "p384", "ed25519", "ecdsa")
    try:
        rc, out, err = c.run(SSH_AUTH_SOCK=agent.sock)
        ok(rc, out, err)
        eq(key_line(out), "ssh-agent key ed25519@test (Ed25519)", "first usable")
        check(f"fingerprint:    {keys.fingerprint('ed25519')}" in out, out)
        check("ssh-ed25519 AAAA" in out and "ed25519@test" in out, out)
    finally:
        agent.stop()
    agent = Agent(wd, keys, "dsa", "p384")
    try:
        rc, out, err = c.run(SSH_AUTH_SOCK=agent.sock)
        ok(rc, out, err)
        eq(key_line(out), f"RSA 2048 key {rsa}", "no usable agent key: ~/.ssh")
        os.unlink(rsa)
        rc, _, err = c.run(SSH_AUTH_SOCK=agent.sock)
        eq(rc, 1, "nothing usable")
        check("ssh-agent (no RSA, ECDSA P-256 or Ed25519 key)" in err, err)
    finally:
        agent.stop()


async def passphrase_pty(wd, keys):
    c = Case(wd, "pty")
    for name, desc in [("enc_ecdsa", "ECDSA P-256"), ("enc_ed25519", "Ed25519"),
                       ("enc_pkcs8.pem", "ECDSA P-256")]:
        path = c.put(keys.path(name), c.dir, name)
        rc, out, asked = c.run_pty(["-key", path], [PASS])
        eq(rc, 0, f"{name} exit ({out!r})")
        eq(asked, 1, "one prompt")
        check(f"Enter passphrase for key '{path}': " in out, out)
        check(PASS not in out, "the passphrase was echoed")
        check(f"key:            {desc} key {path}" in out, out)
        check("verified" in out, out)
    # wrong, wrong, right
    path = os.path.join(c.dir, "enc_ecdsa")
    rc, out, asked = c.run_pty(["-key", path], ["wrong", "also wrong", PASS])
    eq(rc, 0, f"third try ({out!r})")
    eq(asked, 3, "three prompts")
    eq(out.count("wrong passphrase, try again"), 2, "retry notes")
    # three wrong ones
    rc, out, asked = c.run_pty(["-key", path], ["a", "b", "c", PASS])
    eq(rc, 1, "three wrong")
    eq(asked, 3, "no fourth prompt")
    check(f"edgeview: key {path}: wrong passphrase (3 tries)" in out, out)
    # found through ~/.ssh, aut 1 through /clientauth: the same prompt
    c.ssh(keys, "enc_ed25519", "id_ed25519")
    rc, out, asked = c.run_pty([], [PASS])
    eq(rc, 0, f"~/.ssh ({out!r})")
    ca = c.put(keys.path("enc_pkcs8.pem"), c.clientauth, "privatekey")
    rc, out, asked = c.run_pty(["-aut", "1"], [PASS])
    eq(rc, 0, f"aut 1 ({out!r})")
    check(f"Enter passphrase for key '{ca}'" in out, out)


async def passphrase_no_tty(wd, keys):
    c = Case(wd, "notty")
    for name in ["enc_ecdsa", "enc_pkcs8.pem"]:
        path = c.put(keys.path(name), c.dir, name)
        rc, out, err = c.run("-key", path)
        eq(rc, 1, f"{name} exit")
        eq(err.strip(), f"edgeview: key {path} is passphrase-protected and there is no terminal "
           "to ask; add it to ssh-agent or use an unencrypted key", "message")
    # an encrypted OpenSSH RSA key cannot be read at all: say so before asking
    path = c.put(keys.path("enc_rsa"), c.dir, "enc_rsa")
    rc, out, err = c.run("-key", path)
    eq(rc, 1, "enc rsa")
    check("passphrase-protected OpenSSH RSA key" in err and "ssh-keygen -p -m PKCS8" in err, err)


async def encrypted_key_in_agent(wd, keys):
    c = Case(wd, "encagent")
    enc = c.put(keys.path("enc_ecdsa"), c.dir, "enc_ecdsa")
    encrsa = c.put(keys.path("enc_rsa"), c.dir, "enc_rsa")
    agent = Agent(wd, keys, "enc_ecdsa", "enc_rsa")
    try:
        sock = {"SSH_AUTH_SOCK": agent.sock}
        # no terminal needed: the agent holds the same key (FILE.pub)
        rc, out, err = c.run("-key", enc, **sock)
        ok(rc, out, err)
        eq(key_line(out), f"ssh-agent key enc_ecdsa@test (ECDSA P-256) for {enc}", "agent for file")
        # without FILE.pub: the public half in the OpenSSH file itself
        os.unlink(enc + ".pub")
        rc, out, err = c.run("-key", enc, **sock)
        ok(rc, out, err)
        check("for " + enc in key_line(out), out)
        rc, out, err = c.run("-key", encrsa, **sock)
        ok(rc, out, err)
        eq(key_line(out), f"ssh-agent key enc_rsa@test (RSA 2048) for {encrsa}", "rsa via agent")
        check("256 bytes, verified" in out, out)
        # and through ~/.ssh as well
        c.ssh(keys, "enc_ecdsa", "id_ecdsa")
        rc, out, err = c.run(EDGEVIEW_CLIENTAUTH_DIR=c.clientauth, **sock)
        ok(rc, out, err)
        check(key_line(out).startswith("ssh-agent key"), out)
    finally:
        agent.stop()


async def aut1_pem_keys(wd, keys):
    c = Case(wd, "aut1")
    for name, desc in [("ec_sec1.pem", "ECDSA P-256"), ("rsa_pkcs1.pem", "RSA 2048"),
                       ("ec_pkcs8.pem", "ECDSA P-384")]:
        path = keys.path(name)
        rc, out, err = c.run("-aut", "1", "-key", path)
        ok(rc, out, err)
        eq(key_line(out), f"{desc} key {path}", name)
        sig_len = {"ECDSA P-256": 64, "RSA 2048": 256, "ECDSA P-384": 96}[desc]
        check(f"test signature: {sig_len} bytes, verified" in out, out)
    # the controller key mounted where EVE's client container has it
    ca = c.put(keys.path("rsa_pkcs1.pem"), c.clientauth, "privatekey")
    rc, out, err = c.run("-aut", "1")
    ok(rc, out, err)
    eq(key_line(out), f"RSA 2048 key {ca}", "clientauth")
    eq(out.splitlines()[1], "found via:      EVE's client key", "origin")


def main():
    for tool in ("ssh-keygen", "ssh-agent", "ssh-add", "openssl"):
        if shutil.which(tool) is None:
            print(f"SKIP: {tool} not installed")
            sys.exit(77)
    if not os.access(EDGEVIEW, os.X_OK):
        print(f"SKIP: {EDGEVIEW} not built")
        sys.exit(77)
    res = Results()
    wd = Workdir("client_keys")
    try:
        keys = Keys(os.path.join(wd.path))
        for name, fn in [("help", help_text), ("default ~/.ssh keys", default_ssh_keys),
                         ("search order", search_order), ("explicit path missing", explicit_missing),
                         ("nothing found", nothing_found), ("agent selection", agent_selection),
                         ("passphrase on a pty", passphrase_pty),
                         ("passphrase without a terminal", passphrase_no_tty),
                         ("encrypted key held by the agent", encrypted_key_in_agent),
                         ("aut 1 PEM keys", aut1_pem_keys)]:
            res.run(name, fn, wd.path, keys)
    finally:
        wd.cleanup()
    res.finish()


if __name__ == "__main__":
    main()

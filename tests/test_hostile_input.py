"""Hostile stack files: refused in one line naming the file, place and value, fast.

Expected readings of YAML come from the reader the Pulumi CLI uses, go-yaml v3
(``resolve.go``): booleans are only ``true``/``false`` in three spellings, ``on``/``yes`` are
text, there are no base-60 numbers, and integers go through ``strconv.ParseInt(s, 0, 64)``
after removing ``_`` — so ``0443`` is octal 291 and ``8_080`` is 8080 there, while YAML 1.2's
core schema reads 443 and the text ``8_080``. Where the two disagree tierguard refuses.
"""

from __future__ import annotations

import http.server
import os
import socket
import stat
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from tests.conftest import invoke
from tests.fake_engine import FakeEngine
from tierguard.config.stackfile import load_stack
from tierguard.driver.backend import choose_backend
from tierguard.driver.session import emulator_stack
from tierguard.errors import UsageError

Run = tuple[int, str, str]


def preview(project: Path, capsys: pytest.CaptureFixture[str], mp: pytest.MonkeyPatch) -> Run:
    return invoke(["preview", "--offline", "--cwd", str(project)], capsys, mp)


def edit(project: Path, old: str, new: str) -> None:
    stack = project / "Pulumi.dev.yaml"
    text = stack.read_text()
    assert old in text
    stack.write_text(text.replace(old, new, 1))


def one_error(run: Run) -> str:
    code, out, err = run
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    return err


class TestResourceBounds:
    def test_a_billion_laughs_is_refused_in_bounded_time_and_memory(
        self, project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Nine levels of nine aliases (9**9 values, ~1 KB of text): refused naming the
        aliases, in well under a second and a few MB (go-yaml refuses "excessive aliasing")."""
        lines = ["lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        lines += [f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
        (project / "Pulumi.dev.yaml").write_text(
            "config:\n  aws:region: us-east-1\n  x:\n" + "".join(f"    {x}\n" for x in lines)
        )
        tracemalloc.start()
        started = time.monotonic()
        err = one_error(preview(project, capsys, monkeypatch))
        seconds = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert "expands to more than 100,000 values through its aliases" in err
        assert "Pulumi.dev.yaml:" in err
        assert seconds < 5
        assert peak < 50 * 2**20

    @pytest.mark.parametrize(
        "body",
        ["[" * 3000 + "]" * 3000, "{a: " * 3000 + "1" + "}" * 3000],
        ids=["lists", "mappings"],
    )
    def test_deep_nesting_is_refused_not_a_recursion_error(
        self,
        body: str,
        project: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """3,000 levels: one line with the depth limit and the place it was passed."""
        (project / "Pulumi.dev.yaml").write_text(f"config:\n  x: {body}\n")
        err = one_error(preview(project, capsys, monkeypatch))
        assert "nested more than 64 levels deep" in err

    def test_an_alias_that_contains_itself_is_refused(
        self, project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        (project / "Pulumi.dev.yaml").write_text("config:\n  x: &a [1, *a]\n")
        err = one_error(preview(project, capsys, monkeypatch))
        assert "an alias refers to a value that contains it" in err

    def test_a_huge_file_is_refused_without_reading_it_all(
        self, project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        (project / "Pulumi.dev.yaml").write_text("config: {}\n" + "#" * (2 << 20))
        err = one_error(preview(project, capsys, monkeypatch))
        assert "is larger than 1024 KiB" in err


class TestEncodings:
    @pytest.mark.parametrize(
        ("data", "says"),
        [
            ("config: {}\n".encode("utf-16"), "is UTF-16 text; save the YAML file as UTF-8"),
            ("config: {}\n".encode("utf-16-le"), "contains NUL bytes"),
            (b"\x7fELF\x02\x01\x01\x00\x00", "contains NUL bytes"),
            ("config: {x: caf\u00e9}\n".encode("latin-1"), "is not UTF-8 text (byte 0xe9 at"),
        ],
        ids=["utf-16-bom", "utf-16-no-bom", "binary", "latin-1"],
    )
    def test_a_stack_file_that_is_not_utf8_text(
        self,
        data: bytes,
        says: str,
        project: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        (project / "Pulumi.dev.yaml").write_bytes(data)
        err = one_error(preview(project, capsys, monkeypatch))
        assert f"Pulumi.dev.yaml: {says}" in err

    def test_the_same_through_stack_file(
        self, project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """`--stack-file` reads through the same door."""
        other = project / "Pulumi.other.yaml"
        other.write_bytes(b"\xff\xfe\x00\x00garbage")
        err = one_error(
            invoke(
                ["preview", "--offline", "--cwd", str(project), "--stack-file", str(other)],
                capsys,
                monkeypatch,
            )
        )
        assert "is UTF-32 text" in err


class TestYamlAsThePulumiCliReadsIt:
    @pytest.mark.parametrize(
        ("old", "new", "says"),
        [
            (
                "ports: 8080",
                "ports: 0443",
                "'0443' is ambiguous (the Pulumi CLI reads it as octal 291",
            ),
            ("ports: 8080", "ports: 20:21", "'20:21' is a base-60 number to YAML 1.1 readers"),
            ("ports: 8080", "ports: 8_080", "'8_080' is ambiguous (the Pulumi CLI reads 8080"),
            ("ports: 8080", "ports: +8080", "'+8080' is ambiguous"),
            ("ports: 8080", "ports: 0x1F90", "'0x1F90' is ambiguous (the Pulumi CLI reads 8080"),
            ("rule: 50", "rule: 0100", "'0100' is ambiguous (the Pulumi CLI reads it as octal 64"),
        ],
    )
    def test_numbers_yaml_readers_disagree_on_are_refused_at_their_place(
        self,
        old: str,
        new: str,
        says: str,
        project: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        edit(project, old, new)
        err = one_error(preview(project, capsys, monkeypatch))
        assert "Pulumi.dev.yaml:" in err
        assert says in err

    @pytest.mark.parametrize(
        ("old", "new", "path", "says"),
        [
            (
                "rule: 50",
                "rule: true",
                "network_acls.public.ingress[0].rule",
                "Input should be a valid integer (got True)",
            ),
            (
                "rule: 50",
                'rule: "50"',
                "network_acls.public.ingress[0].rule",
                "Input should be a valid integer (got '50')",
            ),
            (
                "ports: 8080",
                'ports: "8_080"',
                "tiers.app.ingress[0].ports",
                "'8_080' is not a port; use a number 0-65535, 'FROM-TO' or 'all'",
            ),
            (
                "ports: 8080",
                'ports: "+8080"',
                "tiers.app.ingress[0].ports",
                "'+8080' is not a port; use a number 0-65535, 'FROM-TO' or 'all'",
            ),
            (
                "ports: 8080",
                'ports: "\u0668\u0660\u0668\u0660"',
                "tiers.app.ingress[0].ports",
                "'\u0668\u0660\u0668\u0660' is not a port; use a number 0-65535, 'FROM-TO' or 'all'",
            ),
            (
                "ports: 8080",
                'ports: "08080"',
                "tiers.app.ingress[0].ports",
                "'08080' is not a port; use a number 0-65535, 'FROM-TO' or 'all'",
            ),
            (
                "public: true",
                "public: yes",
                "subnet_groups.public.public",
                "Input should be a valid boolean (got 'yes')",
            ),
        ],
    )
    def test_values_that_only_look_like_the_type_are_refused(
        self,
        old: str,
        new: str,
        path: str,
        says: str,
        project: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """`rule: true` is not rule 1 (it would sort before the deny at 50); quoted or
        non-ASCII digits are not numbers; YAML 1.1's `yes` is text to the CLI."""
        edit(project, old, new)
        err = one_error(preview(project, capsys, monkeypatch))
        assert err == f"error: tierguard:network.{path}: {says}\n"

    def test_a_merge_followed_by_an_override_is_accepted(
        self, project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """`<<: *base` then a key of its own: the own key wins, as go-yaml merges."""
        edit(
            project,
            "    subnet_groups:\n      public:\n        public: true\n",
            "    subnet_groups:\n      public: &pub\n        public: true\n"
            "      edge:\n        <<: *pub\n        public: false\n",
        )
        code, _, err = preview(project, capsys, monkeypatch)
        assert code == 0, err
        groups = load_stack(project, "dev").config["tierguard:network"]["subnet_groups"]
        assert groups["edge"] == {"public": False}
        assert groups["public"] == {"public": True}

    def test_a_tier_named_on_is_a_name_not_a_boolean(
        self, project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """YAML 1.1 reads the key `on` as True; the CLI reads the name 'on': a tier of that
        name works, and a problem in it is reported under tiers.on."""
        edit(project, "      alb:\n", "      on:\n")
        edit(project, "tier: alb", "tier: on")
        code, out, err = invoke(
            ["preview", "--offline", "--json", "--cwd", str(project)], capsys, monkeypatch
        )
        assert code == 0, err
        assert '"name": "dev-on"' in out
        edit(project, "            internet: ipv4\n", "            internet: ipv5\n")
        err = one_error(preview(project, capsys, monkeypatch))
        assert err.startswith("error: tierguard:network.tiers.on.ingress[0].internet: ")

    def test_a_list_as_a_key_is_refused(
        self, project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        (project / "Pulumi.dev.yaml").write_text("config:\n  ? [a, b]\n  : 1\n")
        err = one_error(preview(project, capsys, monkeypatch))
        assert "Pulumi.dev.yaml:2:5: YAML error: a list cannot be a key" in err

    def test_explicit_tags_other_than_the_core_ones_are_refused(
        self, project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        (project / "Pulumi.dev.yaml").write_text("config:\n  x: !!binary aGVsbG8=\n")
        err = one_error(preview(project, capsys, monkeypatch))
        assert "could not determine a constructor for the tag" in err


class TestPolicyConfigFile:
    @pytest.mark.parametrize(
        ("data", "says"),
        [
            (b"\x00\x01\x02binary", "contains NUL bytes"),
            (b"[" * 100_000 + b"]" * 100_000, "is nested too deeply to be a policy config"),
            ('{"all": "mandatory"}'.encode("utf-16"), "is UTF-16 text"),
        ],
        ids=["binary", "nested", "utf-16"],
    )
    def test_an_unreadable_policy_config_is_one_line(
        self,
        data: bytes,
        says: str,
        project: Path,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        config = tmp_path / "policy.json"
        config.write_bytes(data)
        err = one_error(
            invoke(
                ["preview", "--offline", "--cwd", str(project), "--policy-config", str(config)],
                capsys,
                monkeypatch,
            )
        )
        assert err.startswith(f"error: {config}: {says}")


class TestDescriptions:
    @pytest.mark.parametrize(
        "text", ["SSH from admins\n", "SSH from admins\r", "tab\there", "caf\u00e9 access"]
    )
    def test_characters_ec2_rejects_are_refused_at_their_path(
        self,
        text: str,
        project: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """EC2's set for group and rule descriptions is a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*
        (AWS::EC2::SecurityGroup GroupDescription); a trailing newline is not in it."""
        edit(
            project,
            "description: SSH from the admin range only",
            f"description: {text!r}".replace("'", '"'),
        )
        err = one_error(preview(project, capsys, monkeypatch))
        assert err.startswith("error: tierguard:network.tiers.web.ingress[1].description: ")
        assert "which EC2 rejects" in err


class TestWhatAwsWouldReject:
    """Values EC2 refuses, refused before anything is planned, at the path written."""

    @pytest.mark.parametrize(
        ("old", "new", "path", "says"),
        [
            (
                "    name: dev\n",
                "    name: sg-prod\n",
                "name",
                "EC2 refuses names starting with 'sg-'",
            ),
            ("    name: dev\n", "    name: sg\n", "name", "EC2 refuses names starting with 'sg-'"),
            ("cidr: 10.20.0.0/16", "cidr: 10.0.0.0/8", "vpc", "between /16 and /28"),
            ("cidr: 10.20.0.0/16", "cidr: 0.0.0.0/0", "vpc", "between /16 and /28"),
            ("cidr: 10.20.0.0/16", "cidr: 224.0.0.0/16", "vpc", "overlaps 224.0.0.0/4"),
            ("cidr: 10.20.0.0/16", "cidr: 127.1.0.0/16", "vpc", "overlaps 127.0.0.0/8"),
            ("cidr: 10.20.0.0/16", "cidr: 169.254.0.0/16", "vpc", "overlaps 169.254.0.0/16"),
            (
                "admins: 203.0.113.0/24",
                "admins: fe80::%eth0/64",
                "named_cidrs.admins",
                "has a zone (%…)",
            ),
        ],
    )
    def test_names_and_blocks(
        self,
        old: str,
        new: str,
        path: str,
        says: str,
        project: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Group names cannot start with sg- (VPC_SecurityGroups); a VPC block is /16 to /28
        and not in 0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16 or 224.0.0.0/4 (VPC user guide)."""
        edit(project, old, new)
        err = one_error(preview(project, capsys, monkeypatch))
        assert err.startswith(f"error: tierguard:network.{path}: ")
        assert says in err

    def test_a_public_vpc_block_outside_the_reserved_ranges_is_accepted(
        self, project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """AWS allows publicly routable VPC blocks outside RFC 1918."""
        edit(project, "cidr: 10.20.0.0/16", "cidr: 100.68.0.0/18")
        code, _, err = preview(project, capsys, monkeypatch)
        assert code == 0, err

    @pytest.mark.parametrize(
        ("tags", "says"),
        [
            ("{aws:owner: me}", "tag key 'aws:owner': the aws: prefix is reserved"),
            ("{AWS:x: me}", "the aws: prefix is reserved"),
            ("{" + "k" * 129 + ": v}", "is 129 characters; EC2 allows 128"),
            ("{k: " + "v" * 257 + "}", "has a value of 257 characters; EC2 allows 256"),
            ("{" + ", ".join(f"t{i}: v" for i in range(47)) + "}", "47 tags; EC2 allows 50"),
        ],
        ids=["aws-prefix", "aws-upper", "long-key", "long-value", "too-many"],
    )
    def test_tags(
        self,
        tags: str,
        says: str,
        project: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """EC2 tag restrictions: no aws: prefix, keys ≤ 128, values ≤ 256, ≤ 50 per
        resource (tierguard's own four included)."""
        edit(project, "    name: dev\n", f"    name: dev\n    tags: {tags}\n")
        err = one_error(preview(project, capsys, monkeypatch))
        assert err.startswith("error: tierguard:network.tags: ")
        assert says in err

    def test_network_and_tier_tags_together_over_the_limit(
        self, project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        network = ", ".join(f"n{i}: v" for i in range(30))
        tier = ", ".join(f"t{i}: v" for i in range(20))
        edit(project, "    name: dev\n", f"    name: dev\n    tags: {{{network}}}\n")
        edit(
            project,
            "        description: Application servers\n",
            f"        description: Application servers\n        tags: {{{tier}}}\n",
        )
        err = one_error(preview(project, capsys, monkeypatch))
        assert err.startswith("error: tierguard:network.tiers.app.tags: 50 tags with the network")

    def test_an_automatic_egress_description_past_255_is_refused_at_its_ingress(
        self, project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A 238-character ingress description from tier web makes web's automatic egress
        description longer than EC2's 255: refused at the ingress rule that implies it."""
        long = "App API " + "x" * 212 + " from the web tier"
        assert len(long) == 238
        edit(
            project,
            "            ports: 8080\n            tier: web\n",
            f"            ports: 8080\n            tier: web\n            description: {long}\n",
        )
        err = one_error(preview(project, capsys, monkeypatch))
        assert err.startswith(
            "error: tierguard:network.tiers.app.ingress[0].description: is too long for the "
            "automatic egress rule it implies on tier 'web'"
        )

    @pytest.mark.parametrize("name", ["a::b", "bad name!"])
    def test_stack_names_the_deploy_verbs_refuse_are_refused_offline(
        self,
        name: str,
        project: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        err = one_error(
            invoke(
                ["preview", "--offline", "--stack", name, "--cwd", str(project)],
                capsys,
                monkeypatch,
            )
        )
        assert f"stack name {name!r} is not valid" in err


class TestOutputFiles:
    @pytest.mark.parametrize(
        "verb",
        [
            ["preview", "--offline", "--sarif"],
            ["preview", "--offline", "--diagram"],
            ["reach", "--diagram"],
        ],
        ids=["preview-sarif", "preview-diagram", "reach-diagram"],
    )
    @pytest.mark.parametrize("where", ["missing", "file-as-dir", "is-a-dir"])
    def test_an_output_that_cannot_be_written_is_refused_before_any_work(
        self,
        verb: list[str],
        where: str,
        project: Path,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Exit 2 naming the flag and the path; nothing printed on stdout, nothing written."""
        (tmp_path / "a-file").write_text("x")
        target = {
            "missing": tmp_path / "no" / "such" / "out.sarif",
            "file-as-dir": tmp_path / "a-file" / "out.sarif",
            "is-a-dir": tmp_path,
        }[where]
        code, out, err = invoke([*verb, str(target), "--cwd", str(project)], capsys, monkeypatch)
        assert code == 2
        assert out == ""
        assert "Traceback" not in err
        assert f"Invalid value for '{verb[-1]}'" in err
        assert str(target) in err
        assert not target.exists() or target.is_dir()

    def test_a_write_that_fails_late_is_one_line(
        self,
        project: Path,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """The disk filling up (or the folder vanishing) between the check and the write."""
        target = tmp_path / "out.sarif"

        def full(*_args: object, **_kwargs: object) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr("tierguard.cli.preview.write_sarif", full)
        err = one_error(
            invoke(
                ["preview", "--offline", "--sarif", str(target), "--cwd", str(project)],
                capsys,
                monkeypatch,
            )
        )
        assert err == f"error: --sarif '{target}': cannot write: No space left on device\n"


class TestAuditEndpoints:
    @pytest.fixture(autouse=True)
    def _credentials(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")

    def test_an_endpoint_that_never_answers_is_given_up_after_the_timeout(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A socket on 127.0.0.1 that accepts connections and never answers: one line that
        says what it waited for, after about --timeout seconds (one attempt), exit 3."""
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(8)
            url = f"http://127.0.0.1:{silent.getsockname()[1]}"
            started = time.monotonic()
            code, out, err = invoke(
                ["audit", "--endpoint-url", url, "--timeout", "1", "-r", "us-east-1"],
                capsys,
                monkeypatch,
            )
            seconds = time.monotonic() - started
        assert code == 3
        assert out == ""
        assert err == (
            f"error: no answer from sts in us-east-1 at {url} within 1 s: check the network "
            "or --endpoint-url (--timeout sets how long to wait)\n"
        )
        assert seconds < 10

    def test_an_endpoint_answering_html_is_one_line(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A web server instead of an AWS API (a proxy's login page): exit 3, one line."""

        class Html(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = b"<html><body>Please log in</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Html)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_port}"
            code, out, err = invoke(
                ["audit", "--endpoint-url", url, "-r", "us-east-1"], capsys, monkeypatch
            )
        finally:
            server.shutdown()
            server.server_close()
        assert code == 3
        assert out == ""
        assert err == (
            f"error: sts in us-east-1 at {url} answered something that is not an AWS API "
            "response (an HTML page?): check --endpoint-url\n"
        )

    def test_audit_stack_file_that_is_binary(
        self,
        project: Path,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        other = tmp_path / "Pulumi.dev.yaml"
        other.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
        err = one_error(
            invoke(
                ["audit", "--stack", "dev", "--stack-file", str(other), "--cwd", str(project)],
                capsys,
                monkeypatch,
            )
        )
        assert f"{other}: contains NUL bytes" in err


class TestStateFolder:
    def test_tierguard_existing_as_a_file_is_one_line(self, tmp_path: Path) -> None:
        (tmp_path / ".tierguard").write_text("not a folder")
        with pytest.raises(UsageError) as caught:
            choose_backend(tmp_path, backend=None, environ={}).prepare()
        assert str(caught.value) == (
            f"cannot create {tmp_path / '.tierguard' / 'state'}: {tmp_path / '.tierguard'} is "
            f"a file, not a directory; tierguard keeps its state there, so move "
            f"{tmp_path / '.tierguard'} out of the way"
        )

    def test_the_emulator_folder_in_the_way_is_one_line(self, tmp_path: Path) -> None:
        (tmp_path / ".tierguard").mkdir()
        (tmp_path / ".tierguard" / "emulator").write_text("x")
        (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
        with (
            pytest.raises(UsageError, match="is a file, not a directory"),
            emulator_stack(tmp_path, FakeEngine(), "dev", region="us-east-1"),
        ):
            pass  # pragma: no cover - never entered


class TestPassphraseFile:
    """Checked on every run: a regular, non-empty file of this user, mode 0600, no link.
    The message says what to do and never contains the passphrase."""

    @pytest.fixture(name="passphrase")
    def _passphrase(self, tmp_path: Path) -> Path:
        choose_backend(tmp_path, backend=None, environ={}).prepare()
        return tmp_path / ".tierguard" / "passphrase"

    def check(self, tmp_path: Path, secret: str | None = None) -> str:
        with pytest.raises(UsageError) as caught:
            choose_backend(tmp_path, backend=None, environ={}).prepare()
        message = str(caught.value)
        assert "\n" not in message
        if secret:
            assert secret not in message
        return message

    def test_a_fresh_one_passes_every_run(self, passphrase: Path, tmp_path: Path) -> None:
        choose_backend(tmp_path, backend=None, environ={}).prepare()
        assert stat.S_IMODE(passphrase.stat().st_mode) == 0o600

    def test_readable_by_others(self, passphrase: Path, tmp_path: Path) -> None:
        secret = passphrase.read_text()
        passphrase.chmod(0o644)
        assert self.check(tmp_path, secret) == (
            f"the passphrase file {passphrase} has mode 0644, readable by others; run "
            f"`chmod 600 {passphrase}` (and consider the passphrase exposed)"
        )

    def test_empty(self, passphrase: Path, tmp_path: Path) -> None:
        passphrase.write_text("")
        assert "is empty; restore it from your backup" in self.check(tmp_path)

    def test_a_directory(self, passphrase: Path, tmp_path: Path) -> None:
        passphrase.unlink()
        passphrase.mkdir()
        assert "is not a regular file" in self.check(tmp_path)

    def test_a_symlink(self, passphrase: Path, tmp_path: Path) -> None:
        real = tmp_path / "elsewhere"
        real.write_text(passphrase.read_text())
        real.chmod(0o600)
        secret = real.read_text()
        passphrase.unlink()
        passphrase.symlink_to(real)
        assert "is a symbolic link" in self.check(tmp_path, secret)

    @pytest.mark.skipif(os.getuid() != 0, reason="changing a file's owner needs root")
    def test_owned_by_someone_else(self, passphrase: Path, tmp_path: Path) -> None:
        os.chown(passphrase, 4242, -1)
        assert "belongs to uid 4242, not to you (uid 0); chown it" in self.check(tmp_path)


class TestQuotasConfig:
    def test_quotas_no_account_can_have_are_refused(
        self, project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """AWS: rules per group x groups per network interface may not exceed 1,000."""
        edit(
            project,
            "    name: dev\n",
            "    name: dev\n    quotas: {security_group_rules: 250, security_groups_per_interface: 5}\n",
        )
        err = one_error(preview(project, capsys, monkeypatch))
        assert err.startswith("error: tierguard:network.quotas: security_group_rules 250 x ")
        assert "= 1250; AWS caps rules per network interface at 1000" in err

    def test_a_raised_quota_within_the_product_is_accepted(
        self, project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        edit(
            project,
            "    name: dev\n",
            "    name: dev\n    quotas: {security_group_rules: 200, security_groups_per_interface: 5}\n",
        )
        code, _, err = preview(project, capsys, monkeypatch)
        assert code == 0, err

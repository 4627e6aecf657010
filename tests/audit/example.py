"""The example report of ``docs/audit.md``: ``python -m tests.audit.example [--json]``.

Starts moto's server on a free loopback port, deploys the dev stack into it as the
components would (tags included), makes three hand edits, and runs ``tierguard audit
--endpoint-url … --stack dev`` as a separate process, printing what it prints.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

from moto.server import ThreadedMotoServer

from tests.audit.builders import Account, deploy, tcp
from tests.conftest import PROJECT_DIR
from tierguard.config.stackfile import load_stack
from tierguard.program import plan_from_raw


def main(args: list[str]) -> int:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    os.environ.update(env)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        # moto's state is per process, shared by every server in it: start from scratch.
        reset = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
        urllib.request.urlopen(reset, timeout=10).close()
        account = Account(endpoint_url=url)
        stack = load_stack(PROJECT_DIR, "dev")
        plan = plan_from_raw(stack.config["tierguard:network"], region="us-east-1", stack="dev")
        ids = deploy(account, plan)
        # 1. Someone opens SSH on the web tier "for debugging", and a web server runs.
        account.ec2.authorize_security_group_ingress(
            GroupId=ids["web"], IpPermissions=[tcp(22, description="debugging")]
        )
        account.instance(ids["public-us-east-1a"], [ids["web"]], public_ip=True)
        # 2. A console launch in the default VPC: RDP open, a public IP.
        default_vpc = account.ec2.describe_vpcs(
            Filters=[{"Name": "is-default", "Values": ["true"]}]
        )["Vpcs"][0]["VpcId"]
        default_subnet = account.ec2.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [default_vpc]}]
        )["Subnets"][0]["SubnetId"]
        # moto's default VPC has no internet gateway route (AWS's has): add what AWS has.
        account.internet_route(default_subnet, vpc=default_vpc)
        wizard = account.group("launch-wizard-1", tcp(3389), vpc=default_vpc)
        account.instance(default_subnet, [wizard], public_ip=True)
        # 3. A group whose workers are long gone.
        account.group("old-batch-workers", vpc=default_vpc)
        command = [sys.executable, "-m", "tierguard", "audit", "--endpoint-url", url]
        done = subprocess.run(
            [*command, "--stack", "dev", "-C", str(PROJECT_DIR), *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        sys.stdout.write(done.stdout)
        sys.stderr.write(done.stderr)
        return done.returncode
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""tierguard: least-privilege security groups and network ACLs for tiered AWS VPCs."""

from importlib.metadata import version

__version__ = version("tierguard")

"""The tierguard policy pack directory (a package only so type checkers name its
``__main__`` ``policy.__main__`` rather than clashing with the Pulumi program's)."""

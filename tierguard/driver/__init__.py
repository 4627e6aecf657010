"""The deployment driver: tierguard's verbs over the Pulumi Automation API.

One concern per module:

- ``backend``: where state lives (embedded ``.tierguard/state/`` or ``--backend``) and the
  passphrase file;
- ``tools``: finding or installing the Pulumi CLI and the AWS plugin;
- ``seam``: the typed Protocols over ``pulumi.automation`` and the real ``LocalEngine``;
- ``operations``: the verbs' decisions (``Deployer``);
- ``failures``: SDK errors → tierguard errors, and Ctrl-C handling;
- ``progress``: the engine event stream rendered for a terminal, a log or JSON;
- ``emulator``/``session``: moto on 127.0.0.1 and the throw-away stack that uses it;
- ``verify``: what only a fresh deployment checks, on top of ``tierguard.deployed``'s
  comparison of the plan with what was read back;
- ``demo``: up, verify, destroy on the emulator.

Nothing is imported here: a verb loads the modules it uses (moto and boto3 only when the
emulator runs), so ``tierguard --help`` and the offline verbs stay light.
"""

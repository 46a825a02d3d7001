"""Every rendered serving container can read the model under its user and the PV's ossfs options.

The oracle is written out here from the documents, not taken from the code: OSS, "Configure mount point
permissions": ``umask`` is the mask of files and directories (``-oumask=007`` gives 770), ``uid``/``gid`` set their
owner, ``allow_other`` opens the mount point only; without ``umask``, ossfs >= 1.91 gives files 0640 and directories
0750 owned by root (ACK's OSS FAQ as reported in issue 16, not verified here).
"""

from __future__ import annotations

import re

import pytest

from tools.mockrun import Run

SDEP = "kubernetes:machinelearning.seldon.io/v1:SeldonDeployment"
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
PV = "kubernetes:core/v1:PersistentVolume"
READ, WRITE, EXECUTE = 4, 2, 1


def _options(other_opts: str) -> dict[str, str]:
    found = {}
    for option in re.findall(r"-o\s*(\S+)", other_opts):
        key, _, value = option.partition("=")
        found[key] = value
    return found


def effective_modes(other_opts: str) -> tuple[int, int, int, int]:
    """(file mode, directory mode, owner uid, owner gid) of what ossfs shows under these options."""
    options = _options(other_opts)
    if "umask" in options:
        mask = int(options["umask"], 8)
        file_mode = dir_mode = 0o777 & ~mask
    else:
        file_mode, dir_mode = 0o640, 0o750
    return file_mode, dir_mode, int(options.get("uid", 0)), int(options.get("gid", 0))


def permitted(mode: int, owner: tuple[int, int], user: tuple[int, int]) -> int:
    """The rwx bits POSIX grants ``user`` (uid, gid) on an object with ``mode`` and ``owner``."""
    if user[0] == 0:
        return 7
    if user[0] == owner[0]:
        return (mode >> 6) & 7
    if user[1] == owner[1]:
        return (mode >> 3) & 7
    return mode & 7


def can_read_model(other_opts: str, uid: int, gid: int) -> bool:
    file_mode, dir_mode, owner_uid, owner_gid = effective_modes(other_opts)
    owner, user = (owner_uid, owner_gid), (uid, gid)
    reads_files = bool(permitted(file_mode, owner, user) & READ)
    walks_dirs = permitted(dir_mode, owner, user) & (READ | EXECUTE) == READ | EXECUTE
    return reads_files and walks_dirs


def test_the_oracle_refuses_the_old_options_and_accepts_documented_ones() -> None:
    # Before this change the PV had no umask: uid 1000 (gid 1000) is "other" on 0640/0750 root-owned objects.
    assert not can_read_model("-o max_stat_cache_size=0 -o allow_other", 1000, 1000)
    assert can_read_model("-o allow_other -o umask=022", 1000, 1000)
    assert not can_read_model("-o allow_other -o umask=027", 1000, 1000)
    assert not can_read_model("-o allow_other -o umask=026", 1000, 1000)  # files 0751: other can't read
    assert can_read_model("-o allow_other -o uid=1000 -o gid=1000", 1000, 1000)
    assert can_read_model("-o allow_other", 0, 0)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_serving_container_reads_its_mounted_model(stack: str) -> None:
    from tests.conftest import run_stack

    run: Run = run_stack(stack)
    pvs = {pv.inputs["metadata"]["name"]: pv.inputs["spec"]["csi"]["volumeAttributes"]["otherOpts"] for pv in run.of_type(PV)}
    claims = {
        c.inputs["metadata"]["name"]: c.inputs["spec"]["volumeName"]
        for c in run.of_type("kubernetes:core/v1:PersistentVolumeClaim")
    }
    checked = 0
    pods = [(s.name, p["componentSpecs"][0]["spec"]) for s in run.of_type(SDEP) for p in s.inputs["spec"]["predictors"]]
    pods += [(i.name, i.inputs["spec"]["predictor"]) for i in run.of_type(ISVC)]
    for owner, pod in pods:
        claim = {v["name"]: v for v in pod["volumes"]}["model-storage"]["persistentVolumeClaim"]["claimName"]
        options = pvs[claims[claim]]
        for container in pod["containers"]:
            mounts = [m for m in container.get("volumeMounts", []) if m["name"] == "model-storage"]
            if not mounts:
                continue
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True
            assert can_read_model(options, context["runAsUser"], context["runAsGroup"]), (owner, options)
            checked += 1
    assert checked >= 1

"""The dev stack against the manual recipe, field by field: every difference is intended and documented.

The recipe's five manifests are a fixture of this suite (``tests/fixtures/seed/recipe-manifests.yaml``), copied from
Alibaba Cloud's document; nothing here reads outside the repository.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT
from tests.seedrecipe import flatten, seed_manifests
from tools.mockrun import Run
from tools.validate import validate_object

INTENDED: list[tuple[str, str, str]] = [
    ("*", r"metadata\.labels\..*", "Labels `app.kubernetes.io/*` mark what Pulumi manages."),
    ("*", r"metadata\.namespace", "Every namespaced object names its namespace (the recipe relied on kubectl's default)."),
    ("PersistentVolume", r"metadata\.name|spec\.csi\.volumeHandle", "The PV is named `<namespace>-<seldonDeploymentName>-model` (unique per model and namespace); `volumeHandle` equals it, as the driver requires."),
    ("PersistentVolumeClaim", r"metadata\.name", "The PVC is named `<seldonDeploymentName>-model`, one per model."),
    ("PersistentVolume|PersistentVolumeClaim", r"spec\.accessModes\[0\]|spec\.csi\.readOnly", "Serving only reads the model: ReadOnlyMany and a read-only CSI mount instead of ReadWriteMany."),
    ("PersistentVolume|PersistentVolumeClaim", r"spec\.storageClassName", "`storageClassName: \"\"` stops the default StorageClass from provisioning a different volume."),
    ("PersistentVolumeClaim", r"spec\.volumeName", "The PVC binds to exactly this PV (`volumeName`), not to any PV that happens to match."),
    ("PersistentVolume", r"spec\.csi\.volumeAttributes\.(akId|akSecret)|spec\.csi\.nodePublishSecretRef\..*", "No AccessKey in `volumeAttributes`: the keys are a Kubernetes Secret referenced by `nodePublishSecretRef` (or, with no keys at all, RRSA on node pools or the ECI instance's RAM role on ECI; [volume-auth.md](volume-auth.md))."),
    ("PersistentVolume", r"spec\.csi\.volumeAttributes\.bucket", "The bucket is the stack's bucket instead of the placeholder `Your Bucket`."),
    ("PersistentVolume", r"spec\.csi\.volumeAttributes\.url", "The internal OSS endpoint (`oss-<region>-internal`): ECI pods reach OSS inside the region without public traffic."),
    ("PersistentVolume", r"spec\.csi\.volumeAttributes\.path", "The mounted path is explicit (`/`, the bucket root, as in the recipe)."),
    ("SeldonDeployment", r"spec\.annotations\.workload", "The console-generated `workload` annotation is dropped: it identifies one console session, not the model."),
    ("SeldonDeployment", r"spec\.name", "`spec.name` is the SeldonDeployment's name instead of the generic `seldon`."),
    ("SeldonDeployment", r".*containers\[\d\]\.resources\.(requests|limits)\.(cpu|memory)", "Every container requests CPU and memory (limits equal requests for memory, and for CPU on the GPU container), so ECI sizes the pod and the policy pack passes."),
    ("SeldonDeployment", r".*containers\[\d\]\.securityContext\..*", "Both containers run as a non-root user without privilege escalation or capabilities."),
    ("SeldonDeployment", r".*containers\[1\]\.ports\[1\]\..*", "TF Serving's REST port 8501 is set and declared explicitly; the proxy calls it."),
    ("SeldonDeployment", r".*containers\[1\]\.(command|args|env)\[\d\].*", "TF Serving is started by its own `command` (the image's entrypoint script, which prepends its own flags, never runs) with `--model_config_file`: a model config whose `specific` version policy pins the pod to the `version` in its own spec (carried in its env), instead of `--model_base_path`, whose `latest` policy loads whatever version appears in the bucket."),
    ("SeldonDeployment", r".*volumeMounts\[1\]\..*|.*volumes\[1\]\..*", "A small `emptyDir` at `/run/tfserving` holds that model config file."),
    ("PersistentVolume", r"spec\.csi\.volumeAttributes\.otherOpts", "ossfs gets `-o umask=022` beside `allow_other`, so TF Serving's user (uid 1000) can read the model files and enter its directories."),
    ("SeldonDeployment", r".*volumeMounts\[0\]\.readOnly|.*persistentVolumeClaim\.readOnly", "The model volume is mounted read-only."),
    ("SeldonDeployment", r".*persistentVolumeClaim\.claimName", "The claim is the PVC this stack creates, passed from the volume component."),
    ("SeldonDeployment", r".*componentSpecs\[0\]\.metadata\.labels\..*", "The predictor's pods carry `eci-inference.io/predictor: <sdep>-<predictor>`, the label the PodDisruptionBudget (and, in resourcePolicy mode, the ResourcePolicy) select on."),
    ("SeldonDeployment", r".*containers\[\d\]\.lifecycle\..*", "A `preStop` delay (10 s) on both containers, so the Service stops routing to a stopping pod before its containers get SIGTERM."),
    ("ElasticWorkload", r"spec\.elasticUnit\[\d\]\.annotations\.k8s\.aliyun\.com/eci-spot-(duration|release-strategy)", "Spot units state their protection period (`eci-spot-duration: 1`, ECI's default) and `eci-spot-release-strategy: api-evict`, so a reclaim goes through the Eviction API and honours the PodDisruptionBudget and the grace period."),
    ("SeldonDeployment", r"spec\.replicas|spec\.predictors\[0\]\.replicas", "No `replicas` at any level: the Seldon operator (1.17.1) would set the Deployment back to it on every reconcile and undo each scale-out; the HPA owns the count and starts it at `minReplicas`."),
    ("SeldonDeployment", r".*containers\[0\]\.readinessProbe\..*", "The proxy is ready once `GET /health/ping` on its port 9000 answers."),
    ("SeldonDeployment", r".*containers\[1\]\.(startupProbe|readinessProbe)\..*", "TF Serving has a startup and a readiness probe on `/v1/models/<model>/versions/<version>/metadata` (port 8501), so a new pod joins the Service only once the model version is loaded; the startup probe waits up to `modelLoadTimeoutSeconds` (900 s) for a cold ECI start."),
    ("SeldonDeployment", r".*terminationGracePeriodSeconds", "A 30 s grace period instead of 1 s, so in-flight requests finish when a pod is stopped."),
    ("SeldonDeployment", r".*graph\.parameters\[0\]\.value", "The proxy calls TF Serving on `127.0.0.1:8501` (the recipe elides the address as `127.x.x.x`)."),
    ("HorizontalPodAutoscaler", r"apiVersion|spec\.metrics\[0\]\.external\..*", "`autoscaling/v2` instead of the removed `autoscaling/v2beta1`: `metricName`/`metricSelector`/`targetAverageValue` become `metric.name`/`metric.selector`/`target` (type AverageValue), same values."),
    ("HorizontalPodAutoscaler", r"spec\.behavior\..*", "A `behavior` block: scale out fast (double or +4 pods per 15 s), scale in slowly (10 % per minute after a 300 s window) so QPS noise does not flap."),
]  # fmt: skip
"""(kinds, path pattern, reason): the only ways the dev stack differs from the recipe's YAML."""


def _kinds_match(kinds: str, kind: str) -> bool:
    return kinds == "*" or kind in kinds.split("|")


def _reason(kind: str, path: str) -> str | None:
    for kinds, pattern, reason in INTENDED:
        if _kinds_match(kinds, kind) and re.fullmatch(pattern, path):
            return reason
    return None


def _differences(dev_run: Run, seed_path: Path) -> list[tuple[str, str, str | None, str | None]]:
    ours = {o["kind"]: o for o in dev_run.kubernetes_objects()}
    found = []
    for seed in seed_manifests(seed_path):
        assert seed["kind"] in ours, f"the dev stack registers no {seed['kind']}"
        theirs, mine = flatten(seed), flatten(ours[seed["kind"]])
        for path in sorted(set(theirs) | set(mine)):
            if theirs.get(path) != mine.get(path):
                found.append((seed["kind"], path, theirs.get(path), mine.get(path)))
    return found


def test_seed_has_the_five_manifests(seed_path: Path) -> None:
    kinds = [m["kind"] for m in seed_manifests(seed_path)]
    assert kinds == [
        "PersistentVolume",
        "PersistentVolumeClaim",
        "SeldonDeployment",
        "ElasticWorkload",
        "HorizontalPodAutoscaler",
    ]


def test_every_difference_from_the_recipe_is_intended(dev_run: Run, seed_path: Path) -> None:
    unexplained = [d for d in _differences(dev_run, seed_path) if _reason(d[0], d[1]) is None]
    assert unexplained == []


def test_every_listed_difference_still_exists(dev_run: Run, seed_path: Path) -> None:
    used = {_reason(kind, path) for kind, path, _, _ in _differences(dev_run, seed_path)}
    stale = [reason for _, _, reason in INTENDED if reason not in used]
    assert stale == []


def test_the_recipe_values_are_kept(dev_run: Run, seed_path: Path) -> None:
    seed = {m["kind"]: flatten(m) for m in seed_manifests(seed_path)}
    ours = {o["kind"]: flatten(o) for o in dev_run.kubernetes_objects()}
    same = [(kind, path) for kind in seed for path in seed[kind] if ours[kind].get(path) == seed[kind][path]]
    for key in [
        ("ElasticWorkload", "spec.sourceTarget.name"),
        ("ElasticWorkload", "spec.elasticUnit[0].annotations.k8s.aliyun.com/eci-use-specs"),
        ("ElasticWorkload", "spec.elasticUnit[1].annotations.k8s.aliyun.com/eci-spot-strategy"),
        ("ElasticWorkload", "spec.elasticUnit[1].max"),
        ("HorizontalPodAutoscaler", "spec.maxReplicas"),
        ("HorizontalPodAutoscaler", "spec.scaleTargetRef.name"),
        ("SeldonDeployment", "metadata.name"),
        ("SeldonDeployment", "spec.predictors[0].componentSpecs[0].spec.containers[1].image"),
    ]:
        assert key in same, key
    serving = dev_run.one("kubernetes:machinelearning.seldon.io/v1:SeldonDeployment").inputs["spec"]["predictors"][0]
    serving = serving["componentSpecs"][0]["spec"]["containers"][1]
    assert "--port=7001" in serving["args"]
    config = serving["env"][0]["value"]
    assert 'name: "fashion-mnist"' in config and 'base_path: "/mnt/arena/models/fashion-mnist"' in config
    hpa = dev_run.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").inputs["spec"]["metrics"][0]["external"]
    assert hpa["metric"]["selector"]["matchLabels"] == {
        "sls.project": "k8s-log-c9522b942edaf4ec98c2cbc351ec8ade6",
        "sls.logstore": "nginx-ingress",
        "sls.ingress.route": "default-fashion-mnist-eci-predictor-8000",
    }
    assert hpa["target"] == {"type": "AverageValue", "averageValue": "10"}


def test_the_docs_list_every_difference() -> None:
    readme = (ROOT / "docs" / "recipe.md").read_text()
    missing = [reason for _, _, reason in INTENDED if reason not in readme]
    assert missing == []


def test_the_recipe_itself_fails_offline_validation(seed_path: Path, schemas_dir: Path) -> None:
    problems = [p for m in seed_manifests(seed_path) for p in validate_object(m, schemas_dir)]
    assert problems == [
        "HorizontalPodAutoscaler/fashion-mnist-eci-hpa: autoscaling/v2beta1 HorizontalPodAutoscaler does not exist in Kubernetes 1.34.0"
    ]


def test_the_fixture_names_its_source(seed_path: Path) -> None:
    header = [line for line in seed_path.read_text(encoding="utf-8").splitlines() if line.startswith("#")][:8]
    text = " ".join(header)
    assert "Alibaba Cloud's recipe" in text and "elastic-inference-on-eci.md" in text
    assert seed_path.is_relative_to(ROOT / "tests" / "fixtures")

# lowdim: the whole study as one Snakemake workflow.
#   snakemake --cores all                                   embedded scale (params.yaml)
#   snakemake --cores all --configfile workflow/configs/medium.yaml  medium scale (< 1 h on 2 CPU cores)
#   snakemake --cores all --configfile workflow/configs/paper.yaml   paper scale
#   snakemake --profile workflow/profiles/slurm --configfile workflow/configs/paper.yaml
#   snakemake --cores all --configfile workflow/configs/paper.yaml workflow/configs/rehearsal.yaml   (or make rehearsal)
#                                                           every paper job on CPU, a few steps each, and its cost
# Rules live in workflow/rules/*.smk (one file per study of lowdim.studies.STUDIES) and each calls one
# `python -m lowdim` step.
import sys

from snakemake.utils import min_version

min_version("9.0")
sys.path.insert(0, workflow.basedir)  # import lowdim from this checkout

from lowdim import config as lowdim_config, data as lowdim_data, dvc as lowdim_dvc, paths, steps as lowdim_steps  # noqa: E402


configfile: "params.yaml"


report: "workflow/report/workflow.rst"


config.update(lowdim_config.complete(config))  # keys a params file leaves out take their defaults (lowdim/specs)
try:
    lowdim_config.validate(config)
except lowdim_config.ParamsError as e:
    sys.exit(f"lowdim: error: {e}")
paths.use_scale(config["scale"])  # every scale has its own tree: data/prepared/<scale>, results/<scale>, logs/<scale>


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"


# Each registered study (lowdim/studies/__init__.py) brings its rules file, which defines a rule named after the
# study gathering everything it produces: rule all, its DVC stage and the claims step follow from that.
for study in STUDIES:

    include: f"workflow/rules/{study}.smk"

    DVC_STAGES[study] = list(getattr(rules, study).input)


include: "workflow/rules/claims.smk"


if REHEARSAL:  # scale: rehearsal (workflow/configs/rehearsal.yaml): the stand-ins it read and the paper's projected cost

    include: "workflow/rules/rehearsal.smk"


rule all:
    default_target: True
    input:
        [getattr(rules, study).input for study in STUDIES],
        rules.claims.output,
        rules.rehearsal.input if REHEARSAL else [],


onsuccess:
    print_rule_times()
    if not REHEARSAL:  # a rehearsal's tables are not results: nothing to version
        lowdim_dvc.sync_after_snakemake(DVC_STAGES, scale=config["scale"])

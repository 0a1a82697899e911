"""The `genai-lessons` command: `doctor` checks the machine, `run` executes and measures lessons,
`bench` times the course's models beside reference architectures."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _progress(name: str, number: int, total: int) -> None:
    """Show which cell runs now: one line rewritten in a terminal, nothing in a log."""
    if sys.stdout.isatty():
        print(f"\r  {name}: cell {number}/{total} ", end="", flush=True)


def _doctor(args: argparse.Namespace) -> int:
    from genai_lessons.core import settings
    from genai_lessons.course import doctor

    try:
        settings.quiet_logs()
    except Exception:  # a bad KERAS_BACKEND or a broken install: the checks below report it
        pass
    checks = doctor.run_checks(online=not args.offline)
    print(doctor.format_checks(checks))
    return 0 if all(check.ok for check in checks) else 1


def _run(args: argparse.Namespace) -> int:
    from genai_lessons.core import settings

    settings.quiet_logs()  # before the runner imports Keras (through training), which logs
    from genai_lessons.course import runner

    try:
        notebooks = runner.select_notebooks(args.notebooks, args.lessons)
    except ValueError as error:
        print(f"genai-lessons run: {error}", file=sys.stderr)
        return 2
    mode = "quick" if args.quick else "full"
    print(
        f"Running {len(notebooks)} notebook(s) in {mode} mode"
        f"{', writing outputs back' if args.inplace else ''}."
    )
    runs = []
    for path in notebooks:
        run = runner.run_notebook(
            path,
            quick=args.quick,
            cell_timeout=args.timeout,
            inplace=args.inplace,
            progress=_progress,
        )
        runs.append(run)
        memory = f"{run.peak_memory_mib:.0f} MiB" if run.peak_memory_mib else "n/a"
        line = (
            f"{run.name}: {run.status} in {run.seconds:.1f} s ({run.training_share:.0%} of it "
            f"training), peak memory {memory}"
        )
        if not run.passed:
            line += f"\n    cell {run.failed_cell}: {run.error}"
        print(("\r" if sys.stdout.isatty() else "") + line, flush=True)
    settings.quiet_logs()
    json_path, md_path = runner.write_results(runs, args.results, mode)
    failed = [run.name for run in runs if not run.passed]
    print(
        f"\n{len(runs) - len(failed)} passed, {len(failed)} failed; results in {md_path} and {json_path}"
    )
    return 1 if failed else 0


def _bench(args: argparse.Namespace) -> int:
    from genai_lessons.course import bench

    report = bench.run(quick=args.quick, others=not args.this_backend)
    print(bench.markdown(report))
    json_path, md_path = bench.write(report, args.results)
    print(f"results in {md_path} and {json_path}")
    failed = [r["backend"] for r in report["results"] if "error" in r]
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    """The command line: `doctor`, `run` and `bench`, each with its options."""
    parser = argparse.ArgumentParser(prog="genai-lessons", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    doctor = commands.add_parser("doctor", help="check that this machine is ready for the course")
    doctor.add_argument("--offline", action="store_true", help="skip the network checks")
    doctor.set_defaults(handler=_doctor)
    run = commands.add_parser("run", help="execute notebooks headless and measure them")
    run.add_argument(
        "lessons",
        nargs="*",
        metavar="LESSON",
        help='lessons to run, by number or name ("3", "gans"); default: all',
    )
    run.add_argument("--quick", action="store_true", help="quick mode (tiny data, few steps)")
    run.add_argument(
        "--inplace",
        action="store_true",
        help="write executed notebooks back (refreshes the committed outputs)",
    )
    run.add_argument("--timeout", type=float, default=900, help="seconds one cell may run (900)")
    run.add_argument("--notebooks", type=Path, default=Path("notebooks"), help="notebook folder")
    run.add_argument(
        "--results",
        type=Path,
        default=Path("results"),
        help="folder for results.json and results.md (default: results/)",
    )
    run.set_defaults(handler=_run)
    bench = commands.add_parser(
        "bench", help="time the course's models beside reference architectures, per backend"
    )
    bench.add_argument(
        "--quick", action="store_true", help="a short smoke run (no timings to trust)"
    )
    bench.add_argument(
        "--this-backend", action="store_true", help="skip the other installed backends"
    )
    bench.add_argument(
        "--results", type=Path, default=Path("results"), help="folder for bench.json and bench.md"
    )
    bench.set_defaults(handler=_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())

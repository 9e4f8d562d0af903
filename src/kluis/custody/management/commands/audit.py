"""`kluis audit verify|export|checkpoint` (also `kluis manage audit ...`)."""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ...actions import sign_chain_heads
from ...keys import signing_key, trusted_public_keys
from ...models import AuditEntry, chain_key
from ...standalone_verify import INSTALLATION_CHAIN, ChainBroken
from ...verify import export, verify_all

# The organisation model as the trail's own foreign key names it: the audit trail sits below
# the organisations app and imports none of its code (docs/developer.md, "Layers").
Organisation = AuditEntry._meta.get_field("organisation").related_model


class Command(BaseCommand):
    help = "Verify, export or checkpoint the audit trail."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)

        p = sub.add_parser("verify", help="check every hash, link, head and checkpoint")
        p.add_argument(
            "--organisation",
            action="append",
            default=[],
            metavar="SLUG",
            help="only this organisation's chain (repeatable)",
        )
        p.add_argument(
            "--installation", action="store_true", help="only the installation's own chain"
        )
        p.add_argument(
            "--public-key",
            action="append",
            default=[],
            metavar="KEY",
            help="also trust this public key (an older key after rotation)",
        )

        p = sub.add_parser("export", help="write the trail as JSON lines")
        p.add_argument("--organisation", action="append", default=[], metavar="SLUG")
        p.add_argument("--installation", action="store_true")
        p.add_argument("--output", "-o", default="-", help="file to write; - for stdout")
        p.add_argument(
            "--no-checkpoint",
            action="store_true",
            help="do not sign the chain heads first (the export's tail is then not "
            "covered by a signature)",
        )

        p = sub.add_parser("checkpoint", help="sign the chain heads that are not signed yet")
        p.add_argument("--organisation", action="append", default=[], metavar="SLUG")

        sub.add_parser("public-key", help="print the public key that verifies checkpoints")

    def _chains(self, options) -> list[str] | None:
        keys = []
        for slug in options.get("organisation") or []:
            try:
                keys.append(chain_key(Organisation.objects.get(slug=slug)))
            except Organisation.DoesNotExist:
                raise CommandError(_("No organisation with short name %(slug)s.") % {"slug": slug})
        if options.get("installation"):
            keys.append(INSTALLATION_CHAIN)
        return keys or None

    def handle(self, *args, **options):
        return getattr(self, "_" + options["subcommand"].replace("-", "_"))(options)

    def _verify(self, options):
        try:
            keys = trusted_public_keys(options["public_key"])
        except ValueError as exc:
            raise CommandError(str(exc))
        started = time.perf_counter()
        try:
            summaries = verify_all(keys, self._chains(options))
        except ChainBroken as exc:
            raise CommandError(_("The audit trail is NOT valid. %(problem)s") % {"problem": exc})
        seconds = time.perf_counter() - started
        for s in summaries:
            self.stdout.write(
                _(
                    "chain %(chain)s: %(entries)d entries valid, %(cps)d checkpoints signed; "
                    "%(uncovered)d entries after the last checkpoint"
                )
                % {
                    "chain": s.chain,
                    "entries": s.entries,
                    "cps": s.signed_checkpoints,
                    "uncovered": s.uncovered,
                }
            )
        total = sum(s.entries for s in summaries)
        self.stdout.write(
            self.style.SUCCESS(
                _("The audit trail is valid: %(n)d entries in %(s).2f s.")
                % {"n": total, "s": seconds}
            )
        )

    def _export(self, options):
        only = self._chains(options)
        if not options["no_checkpoint"]:
            self._sign(only)
        if options["output"] == "-":
            count = export(sys.stdout.buffer, only)
            sys.stdout.flush()
        else:
            with open(options["output"], "wb") as fh:
                count = export(fh, only)
            self.stderr.write(
                _("%(n)d entries written to %(path)s.") % {"n": count, "path": options["output"]}
            )

    def _sign(self, only):
        try:
            return sign_chain_heads(only)
        except ChainBroken as exc:
            raise CommandError(
                _("Not signed: the audit trail is NOT valid. %(problem)s") % {"problem": exc}
            )

    def _checkpoint(self, options):
        made = self._sign(self._chains(options))
        for cp in made:
            self.stdout.write(
                _("signed chain %(chain)s at entry #%(seq)d")
                % {"chain": cp.chain, "seq": cp.sequence}
            )
        if not made:
            self.stdout.write(_("Every chain head was already signed."))

    def _public_key(self, options):
        key = signing_key()
        self.stdout.write(key.public_pem.strip())
        self.stdout.write(f"key id {key.key_id}; raw base64 {key.public_b64}")

"""From a journal command to the aggregate's command method (CONTRACT §1)."""

from __future__ import annotations

from functools import singledispatch

from domain.errors import CommandRefused
from domain.licence import Context, Licence
from services import journal as j


def handle(command: j.Command, licence: Licence | None, ctx: Context) -> Licence | None:
    """Apply one command; returns the licence when the command created it."""
    if isinstance(command, j.IssueLicence):
        if licence is None:
            return Licence.issue(
                ctx,
                neph=command.neph,
                issued_on=command.issued_on,
                route=command.route,
                probationary=command.probationary,
                points=command.points if command.points is not None else 12,
                holder=command.holder.model_dump(mode="json", exclude_none=True)
                if command.holder
                else None,
            )
        licence.reissue(ctx, command.issued_on, command.route, command.probationary)
        return None
    if licence is None:
        raise CommandRefused(f"no licence is recorded for NEPH {command.neph}", "R-1.2")
    _dispatch(command, licence, ctx)
    return None


@singledispatch
def _dispatch(command: j.Line, licence: Licence, ctx: Context) -> None:
    raise TypeError(f"no handler for {type(command).__name__}")


@_dispatch.register
def _(command: j.CompleteTraining, licence: Licence, ctx: Context) -> None:
    licence.complete_training(ctx, command.completed_on)


@_dispatch.register
def _(command: j.RecordInfraction, licence: Licence, ctx: Context) -> None:
    licence.record_infraction(
        ctx,
        command.infraction_id,
        command.offence,
        command.committed_on,
        command.occasion,
        command.offence_class,
        command.points,
    )


@_dispatch.register
def _(command: j.EstablishInfraction, licence: Licence, ctx: Context) -> None:
    licence.establish(ctx, command.infraction_id, command.established_on, command.basis)


@_dispatch.register
def _(command: j.DeliverLetter, licence: Licence, ctx: Context) -> None:
    licence.acknowledge_delivery(ctx, command.letter, command.delivered_on)


@_dispatch.register
def _(command: j.CompleteStage, licence: Licence, ctx: Context) -> None:
    licence.complete_stage(
        ctx, command.stage_id, command.kind, command.first_day, command.last_day, command.centre
    )


@_dispatch.register
def _(command: j.ReceiveAttestation, licence: Licence, ctx: Context) -> None:
    licence.receive_attestation(ctx, command.stage_id, command.received_on)


@_dispatch.register
def _(command: j.ReturnLicence, licence: Licence, ctx: Context) -> None:
    licence.return_licence(ctx, command.returned_on)


@_dispatch.register
def _(command: j.CancelInfraction, licence: Licence, ctx: Context) -> None:
    licence.cancel_infraction(
        ctx, command.infraction_id, command.cancelled_on, command.ground, command.reference
    )


@_dispatch.register
def _(command: j.RecordSuspension, licence: Licence, ctx: Context) -> None:
    licence.record_suspension(
        ctx, command.kind, command.first_day, command.last_day, command.reference
    )


@_dispatch.register
def _(command: j.LiftSuspension, licence: Licence, ctx: Context) -> None:
    licence.lift_suspension(ctx, command.lifted_on, command.kind)


@_dispatch.register
def _(command: j.UpdateHolder, licence: Licence, ctx: Context) -> None:
    licence.update_holder(ctx, {"address": command.address.model_dump(exclude_none=True)})

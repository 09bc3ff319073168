"""The trust program's routes: merchants join and leave, buyers claim and return, operators rule.

Every object is checked against the caller: a merchant acts only on its own shops, SKUs and
returns; a buyer only on its own orders (another buyer's order answers 404, like a missing one).
"""

from __future__ import annotations

from litestar import get, post
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from megasale.domain.errors import InvalidInput
from megasale.services.trust_program import TrustProgram
from megasale.web.caller import HttpRequest, account_of, platform_of
from megasale.web.trust_schemas import (
    AwardIn,
    ClaimIn,
    ClaimOut,
    DecisionIn,
    DepositOut,
    ExclusionIn,
    IdentityIn,
    IdentityOut,
    MembershipOut,
    NoteIn,
    RefundIn,
    ReturnIn,
    ReturnOut,
    SearchHitOut,
    ShopTrustOut,
    TopUpIn,
    badges_out,
    claim_out,
    deposit_out,
    hit_out,
    identity_out,
    membership_out,
    return_out,
)

__all__ = ["ROUTES", "trust_of"]


def trust_of(request: HttpRequest) -> TrustProgram:
    trust = platform_of(request).trust
    if trust is None:
        raise RuntimeError("the trust program is not wired on this platform")
    return trust


_SHOP = "/v1/merchant/shops/{shop_id:str}"


# -- merchants: real-name verification ------------------------------------------------------
@post(f"{_SHOP}/verification", summary="Submit a real-name check", tags=["trust"])
async def submit_identity(
    request: HttpRequest, shop_id: FromPath[str], data: JSONBody[IdentityIn]
) -> IdentityOut:
    check = trust_of(request).service.submit_identity(
        account_of(request), shop_id, legal_name=data.legal_name, kind=data.kind, number=data.number
    )
    return identity_out(check)


@get(f"{_SHOP}/verification", summary="The shop's current real-name check", tags=["trust"])
async def get_identity(request: HttpRequest, shop_id: FromPath[str]) -> IdentityOut | None:
    check = trust_of(request).service.identity_of(account_of(request), shop_id)
    return None if check is None else identity_out(check)


@post(
    f"{_SHOP}/verification/withdraw",
    summary="Leave real-name verification",
    status_code=200,
    tags=["trust"],
)
async def withdraw_identity(request: HttpRequest, shop_id: FromPath[str]) -> IdentityOut:
    return identity_out(trust_of(request).service.withdraw_identity(account_of(request), shop_id))


# -- merchants: programs, deposit -----------------------------------------------------------
@post(
    f"{_SHOP}/programs/{{program:str}}/join",
    summary="Join the deposit or returns program",
    status_code=200,
    tags=["trust"],
)
async def join_program(
    request: HttpRequest, shop_id: FromPath[str], program: FromPath[str]
) -> MembershipOut:
    return membership_out(trust_of(request).service.join(account_of(request), shop_id, program))


@post(
    f"{_SHOP}/programs/{{program:str}}/leave",
    summary="Leave a program (returns: binds future orders only)",
    status_code=200,
    tags=["trust"],
)
async def leave_program(
    request: HttpRequest, shop_id: FromPath[str], program: FromPath[str]
) -> MembershipOut:
    return membership_out(trust_of(request).service.leave(account_of(request), shop_id, program))


@get(f"{_SHOP}/deposit", summary="The deposit: balance, requirement, entries", tags=["trust"])
async def get_deposit(request: HttpRequest, shop_id: FromPath[str]) -> DepositOut:
    return deposit_out(trust_of(request).service.deposit_of(account_of(request), shop_id))


@post(f"{_SHOP}/deposit/top-up", summary="Pay into the deposit", status_code=200, tags=["trust"])
async def top_up(
    request: HttpRequest, shop_id: FromPath[str], data: JSONBody[TopUpIn]
) -> DepositOut:
    return deposit_out(trust_of(request).service.top_up(account_of(request), shop_id, data.fen))


@post(
    f"{_SHOP}/deposit/pay-back",
    summary="Get the deposit back after leaving and cooling-off, nothing open",
    status_code=200,
    tags=["trust"],
)
async def pay_back(request: HttpRequest, shop_id: FromPath[str]) -> DepositOut:
    return deposit_out(trust_of(request).service.pay_back(account_of(request), shop_id))


# -- merchants: returns ---------------------------------------------------------------------
@post(
    "/v1/merchant/skus/{sku_id:str}/return-policy",
    summary="Exclude a SKU from no-reason returns (custom-made, perishable...) or allow them",
    status_code=200,
    tags=["trust"],
)
async def set_return_policy(
    request: HttpRequest, sku_id: FromPath[str], data: JSONBody[ExclusionIn]
) -> ExclusionIn:
    if data.returnable == (data.exclusion_reason is not None):
        raise InvalidInput("exclusion_reason", "give a reason exactly when returnable is false")
    trust_of(request).returns.set_exclusion(account_of(request), sku_id, data.exclusion_reason)
    return data


@get(f"{_SHOP}/returns", summary="Returns of an own shop, newest first", tags=["trust"])
async def shop_returns(
    request: HttpRequest,
    shop_id: FromPath[str],
    status: str | None = Parameter(default=None, max_length=20),
) -> list[ReturnOut]:
    found = trust_of(request).returns.returns_of_shop(account_of(request), shop_id, status)
    return [return_out(r) for r in found]


@post(
    "/v1/merchant/returns/{return_id:str}/approve",
    summary="Approve a return",
    status_code=200,
    tags=["trust"],
)
async def approve_return(request: HttpRequest, return_id: FromPath[str]) -> ReturnOut:
    return return_out(trust_of(request).returns.approve(account_of(request), return_id))


@post(
    "/v1/merchant/returns/{return_id:str}/reject",
    summary="Reject a return",
    status_code=200,
    tags=["trust"],
)
async def reject_return(
    request: HttpRequest, return_id: FromPath[str], data: JSONBody[NoteIn]
) -> ReturnOut:
    return return_out(trust_of(request).returns.reject(account_of(request), return_id, data.note))


@post(
    "/v1/merchant/returns/{return_id:str}/received",
    summary="The goods came back: refund (all that is left, or refund_fen)",
    status_code=200,
    tags=["trust"],
)
async def confirm_received(
    request: HttpRequest, return_id: FromPath[str], data: JSONBody[RefundIn]
) -> ReturnOut:
    done = trust_of(request).returns.confirm_received(
        account_of(request), return_id, data.refund_fen
    )
    return return_out(done)


# -- buyers ---------------------------------------------------------------------------------
@post("/v1/orders/{order_id:str}/returns", summary="Ask to return an own order", tags=["trust"])
async def request_return(
    request: HttpRequest, order_id: FromPath[str], data: JSONBody[ReturnIn]
) -> ReturnOut:
    made = trust_of(request).returns.request_return(account_of(request), order_id, data.reason)
    return return_out(made)


@get("/v1/orders/{order_id:str}/returns", summary="Returns of an own order", tags=["trust"])
async def order_returns(request: HttpRequest, order_id: FromPath[str]) -> list[ReturnOut]:
    found = trust_of(request).returns.returns_of_order(account_of(request), order_id)
    return [return_out(r) for r in found]


@post(
    "/v1/orders/{order_id:str}/claims", summary="Claim against the shop's deposit", tags=["trust"]
)
async def file_claim(
    request: HttpRequest, order_id: FromPath[str], data: JSONBody[ClaimIn]
) -> ClaimOut:
    claim = trust_of(request).service.file_claim(
        account_of(request), order_id, description=data.description, asked_fen=data.asked_fen
    )
    return claim_out(claim)


# -- operators ------------------------------------------------------------------------------
@get("/v1/operator/verifications", summary="Real-name checks waiting for review", tags=["trust"])
async def pending_identities(request: HttpRequest) -> list[IdentityOut]:
    return [
        identity_out(c) for c in trust_of(request).service.pending_identities(account_of(request))
    ]


@post(
    "/v1/operator/verifications/{shop_id:str}/{decision:str}",
    summary="verify, reject or revoke a shop's real-name check",
    status_code=200,
    tags=["trust"],
)
async def decide_identity(
    request: HttpRequest,
    shop_id: FromPath[str],
    decision: FromPath[str],
    data: JSONBody[DecisionIn | None] = None,
) -> IdentityOut:
    operator = account_of(request)
    service = trust_of(request).service
    note = (data.note if data is not None else None) or ""
    if decision == "verify":
        return identity_out(service.verify_identity(operator, shop_id))
    if decision == "reject":
        return identity_out(service.reject_identity(operator, shop_id, note))
    if decision == "revoke":
        return identity_out(service.revoke_identity(operator, shop_id, note))
    raise InvalidInput("decision", "must be verify, reject or revoke")


@get("/v1/operator/claims", summary="Buyer claims (open by default)", tags=["trust"])
async def list_claims(
    request: HttpRequest, status: str = Parameter(default="open", max_length=20)
) -> list[ClaimOut]:
    return [claim_out(c) for c in trust_of(request).service.claims(account_of(request), status)]


@post(
    "/v1/operator/claims/{claim_id:str}/award",
    summary="Award compensation from the shop's deposit",
    status_code=200,
    tags=["trust"],
)
async def award_claim(
    request: HttpRequest, claim_id: FromPath[str], data: JSONBody[AwardIn]
) -> ClaimOut:
    return claim_out(trust_of(request).service.award_claim(account_of(request), claim_id, data.fen))


@post(
    "/v1/operator/claims/{claim_id:str}/dismiss",
    summary="Dismiss a claim",
    status_code=200,
    tags=["trust"],
)
async def dismiss_claim(
    request: HttpRequest, claim_id: FromPath[str], data: JSONBody[NoteIn]
) -> ClaimOut:
    done = trust_of(request).service.dismiss_claim(account_of(request), claim_id, data.note)
    return claim_out(done)


@post(
    "/v1/operator/returns/refund-overdue",
    summary="Refund approved returns the merchant let lapse (the sweeper does this too)",
    status_code=200,
    tags=["trust"],
)
async def refund_overdue(request: HttpRequest) -> list[ReturnOut]:
    return [return_out(r) for r in trust_of(request).returns.run_refunds(account_of(request))]


# -- public ---------------------------------------------------------------------------------
@get("/v1/search", summary="Search SKUs: relevance, then trust", tags=["catalog"])
async def search(
    request: HttpRequest,
    q: str = Parameter(default="", max_length=200),
    guaranteed: FromQuery[bool] = False,
    limit: int = Parameter(default=20, ge=1, le=200),
) -> list[SearchHitOut]:
    found = trust_of(request).search.search(q, guaranteed_only=guaranteed, limit=limit)
    return [hit_out(r) for r in found]


@get("/v1/shops/{shop_id:str}/trust", summary="A shop's badges and promises", tags=["catalog"])
async def shop_trust(request: HttpRequest, shop_id: FromPath[str]) -> ShopTrustOut:
    shop = platform_of(request).store.get_shop(shop_id)
    return ShopTrustOut(shop.shop_id, shop.name, badges_out(trust_of(request).badges_of(shop_id)))


ROUTES = [
    approve_return,
    award_claim,
    confirm_received,
    decide_identity,
    dismiss_claim,
    file_claim,
    get_deposit,
    get_identity,
    join_program,
    leave_program,
    list_claims,
    order_returns,
    pay_back,
    pending_identities,
    refund_overdue,
    reject_return,
    request_return,
    search,
    set_return_policy,
    shop_returns,
    shop_trust,
    submit_identity,
    top_up,
    withdraw_identity,
]

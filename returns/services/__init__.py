"""Every write of the returns app goes through these services (one per domain operation).

requests   request_return (quote_return checks without writing)
decisions  approve_return, reject_return, cancel_return, close_return
reception  receive_return, inspect_return
refunds    refund_return (compute_refund reads the amount and its breakdown)
policies   save_return_policy, set_return_policy_rules
"""

from returns.services.decisions import approve_return, cancel_return, close_return, reject_return
from returns.services.policies import save_return_policy, set_return_policy_rules
from returns.services.reception import inspect_return, receive_return
from returns.services.refunds import compute_refund, refund_return, refundable_now
from returns.services.requests import quote_return, request_return

__all__ = [
    "approve_return",
    "cancel_return",
    "close_return",
    "compute_refund",
    "inspect_return",
    "quote_return",
    "receive_return",
    "refund_return",
    "refundable_now",
    "reject_return",
    "request_return",
    "save_return_policy",
    "set_return_policy_rules",
]

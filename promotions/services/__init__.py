"""The promotions app's writes (STYLE.md: one service per domain operation)."""

from promotions.services.coupons import (
    attach_coupon,
    detach_coupon,
    generate_coupons,
)
from promotions.services.promotions import (
    import_promotions,
    save_promotion,
    set_promotion_status,
)
from promotions.services.redemptions import redeem_promotions, return_redemptions
from promotions.services.segments import save_segment, set_customer_segments

__all__ = [
    "attach_coupon",
    "detach_coupon",
    "generate_coupons",
    "import_promotions",
    "redeem_promotions",
    "return_redemptions",
    "save_promotion",
    "save_segment",
    "set_customer_segments",
    "set_promotion_status",
]

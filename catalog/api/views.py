"""The public catalog API: one APIView per operation; reads via catalog.selectors, writes via
catalog.services. Two operations that share a URL are joined by a small class that inherits
both (ProductCollectionApi = list + create, ProductResourceApi = detail + update).

Who sees what: anyone reads active products and their active variants. Staff with the
`catalog.view_product` permission read any product (draft, archived) and every variant through
the same endpoints; everyone else gets 404 for those. Writes need `catalog.add_*` /
`catalog.change_*` (the Merchandiser group has them): anonymous 401, others 403.
"""

from django.db.models import prefetch_related_objects
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors, services
from catalog.api import cached
from catalog.api import serializers as s
from catalog.api.search_results import SearchResults
from catalog.models import Category
from shop import selectors as shop_selectors
from shop.api.pagination import StandardPagination
from shop.api.serializers import ErrorSerializer
from shop.exceptions import ValidationFailed
from shop.models import Market

MAX_QUERY_LENGTH = 200
MARKET = OpenApiParameter(
    "market",
    OpenApiTypes.STR,
    description="Market code (US, CA, EU): prices in its currency, availability in its "
    "locations. Defaults to US; an unknown market is a 400.",
)
HANDLE = OpenApiParameter("handle", OpenApiTypes.STR, OpenApiParameter.PATH)
SKU = OpenApiParameter("sku", OpenApiTypes.STR, OpenApiParameter.PATH)


def _errors(*codes: int) -> dict:
    texts = {
        400: "Invalid input: `fields` names each problem.",
        401: "Not authenticated.",
        403: "Not allowed to change the catalog.",
        404: "No such product (or not visible to you).",
        409: "A concurrent change took a handle, SKU or identifier.",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=texts[code]) for code in codes}


class CatalogPermission(BasePermission):
    """Reads are public; a write needs the permission the view names for its method."""

    message = "Only merchandisers may change the catalog."

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS or not hasattr(view, request.method.lower()):
            return True  # reads are public; an unsupported method gets its 405
        needed = view.write_permissions.get(request.method)
        user = request.user
        return bool(needed and user and user.is_authenticated and user.has_perm(needed))


class CatalogApi(APIView):
    permission_classes = [CatalogPermission]
    write_permissions: dict[str, str] = {}


def _market(request) -> Market:
    code = request.query_params.get("market")
    if not code:
        return shop_selectors.get_market(None)
    market = shop_selectors.find_market(code)
    if market is None:
        known = ", ".join(m.code for m in shop_selectors.list_markets())
        raise ValidationFailed(
            f"There is no market {code!r}; use one of {known}.",
            fields={"market": [f"Unknown market {code!r}."]},
        )
    return market


def _category(request) -> Category | None:
    path = request.query_params.get("category")
    if not path:
        return None
    try:
        return selectors.get_category(path=path)
    except Http404:
        raise ValidationFailed(
            f"There is no category {path!r}.", fields={"category": [f"Unknown category {path!r}."]}
        ) from None


def _search_query(request) -> str:
    query = request.query_params.get("q", "")
    if len(query) > MAX_QUERY_LENGTH:
        message = f"Search with at most {MAX_QUERY_LENGTH} characters (this has {len(query)})."
        raise ValidationFailed(message, fields={"q": [message]})
    return query


def _is_catalog_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("catalog.view_product"))


def _detail_response(
    request, handle: str, market: Market, *, written: bool = False, **kwargs
) -> Response:
    # After a write, show what was written (a draft, inactive variants) even to a writer who
    # lacks the view permission: a 201 must never be followed by "no such product".
    if written or _is_catalog_staff(request.user):
        product = selectors.get_product_for_staff(handle=handle, market=market)
        variants = product.sellable_variants
        prefetch_related_objects(variants, "identifiers")
        available = selectors.get_available_quantities(
            variant_ids=[v.pk for v in variants], market=market
        )
        data = s.product_detail(product, market=market, available=available)
        return Response(s.ProductDetailSerializer(data).data, **kwargs)

    def build():
        product = selectors.get_storefront_product(handle=handle, market=market)
        variants = product.sellable_variants
        prefetch_related_objects(variants, "identifiers")
        data = s.product_detail(product, market=market, available=None)
        return {
            "product_id": product.pk,
            "data": s.ProductDetailSerializer(data).data,
            "variant_ids": [v.pk for v in variants],
        }

    def fill(entry):
        data, variant_ids = entry["data"], entry["variant_ids"]
        available = selectors.get_available_quantities(variant_ids=variant_ids, market=market)
        if available is not None:
            for variant, variant_id in zip(data["variants"], variant_ids, strict=True):
                variant["available"] = available.get(variant_id, 0)
        return data

    data = cached.product_detail(handle=handle, market=market, build=build, fill=fill)
    return Response(data, **kwargs)


def _variant_response(variant, market: Market, **kwargs) -> Response:
    prefetch_related_objects([variant], "prices", "identifiers", "option_values__option")
    available = selectors.get_available_quantities(variant_ids=[variant.pk], market=market)
    data = s.variant_detail(variant, market=market, available=available, staff=True)
    return Response(s.VariantStaffSerializer(data).data, **kwargs)


class ProductListApi(CatalogApi):
    @extend_schema(
        operation_id="product_list",
        summary="List active products",
        parameters=[
            MARKET,
            OpenApiParameter("category", OpenApiTypes.STR, description="Slug or slug path."),
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                description="Search words or a SKU, at most 200 characters (longer is a 400). "
                "Best match first.",
            ),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="At most 100."),
        ],
        responses={200: s.ProductListPageSerializer, **_errors(400, 404)},
    )
    def get(self, request):
        market = _market(request)
        category, query = _category(request), _search_query(request)

        def build():
            if query.strip() and category is None:
                # Counted and paged on the search index (cached), only the page's products
                # read: joining every matching product costs ~10x as much on a broad word.
                products = SearchResults(market, query)
            else:
                products = selectors.list_storefront_products(
                    market=market, category=category, query=query
                )
            paginator = StandardPagination()
            page = paginator.paginate_queryset(products, request, view=self)
            items = [s.product_list_item(p, market=market, in_stock=None) for p in page]
            data = paginator.get_paginated_response(
                s.ProductListItemSerializer(items, many=True).data
            ).data
            product_ids = [p.pk for p in page]
            return {
                "data": data,
                "product_ids": product_ids,
                "variant_rows": selectors.list_active_variant_ids(product_ids=product_ids),
            }

        def fill(entry):
            data = entry["data"]
            in_stock = selectors.in_stock_product_ids(
                variant_rows=entry["variant_rows"], market=market
            )
            for item, product_id in zip(data["results"], entry["product_ids"], strict=True):
                item["in_stock"] = None if in_stock is None else product_id in in_stock
            return data

        data = cached.list_page(
            params=request.query_params,
            market=market,
            category=category,
            url=request.build_absolute_uri(request.path),
            build=build,
            fill=fill,
        )
        return Response(data)


class ProductCreateApi(CatalogApi):
    write_permissions = {"POST": "catalog.add_product"}

    @extend_schema(
        operation_id="product_create",
        summary="Create a product with its options and variants",
        parameters=[MARKET],
        request=s.ProductCreateSerializer,
        responses={201: s.ProductDetailSerializer, **_errors(400, 401, 403, 409)},
    )
    def post(self, request):
        market = _market(request)
        product = services.create_product(data=request.data, actor=request.user)
        response = _detail_response(request, product.handle, market, written=True, status=201)
        response["Location"] = f"/api/v1/products/{product.handle}"
        return response


class ProductDetailApi(CatalogApi):
    @extend_schema(
        operation_id="product_detail",
        summary="One product with its variants",
        description="Drafts and archived products are 404 except for staff with the "
        "catalog view permission, who also see inactive variants.",
        parameters=[HANDLE, MARKET],
        responses={200: s.ProductDetailSerializer, **_errors(400, 404)},
    )
    def get(self, request, handle):
        return _detail_response(request, handle, _market(request))


class ProductUpdateApi(CatalogApi):
    write_permissions = {"PATCH": "catalog.change_product"}

    @extend_schema(
        operation_id="product_update",
        summary="Change a product's fields",
        parameters=[HANDLE, MARKET],
        request=s.ProductPatchSerializer,
        responses={200: s.ProductDetailSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request, handle):
        market = _market(request)
        product = selectors.get_product(handle=handle)
        product = services.update_product(product=product, data=request.data, actor=request.user)
        return _detail_response(request, product.handle, market, written=True)


class VariantCreateApi(CatalogApi):
    write_permissions = {"POST": "catalog.add_variant"}

    @extend_schema(
        operation_id="variant_create",
        summary="Add a variant (SKU) to a product",
        parameters=[HANDLE, MARKET],
        request=s.VariantWriteSerializer,
        responses={201: s.VariantStaffSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, handle):
        market = _market(request)
        product = selectors.get_product(handle=handle)
        variant = services.create_variant(product=product, data=request.data, actor=request.user)
        response = _variant_response(variant, market, status=status.HTTP_201_CREATED)
        response["Location"] = f"/api/v1/products/{product.handle}/variants/{variant.sku}"
        return response


class VariantUpdateApi(CatalogApi):
    write_permissions = {"PATCH": "catalog.change_variant"}

    @extend_schema(
        operation_id="variant_update",
        summary="Change a variant; the SKU cannot change",
        parameters=[HANDLE, SKU, MARKET],
        request=s.VariantPatchSerializer,
        responses={200: s.VariantStaffSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request, handle, sku):
        market = _market(request)
        product = selectors.get_product(handle=handle)
        variant = selectors.get_product_variant(product=product, sku=sku)
        variant = services.update_variant(variant=variant, data=request.data, actor=request.user)
        return _variant_response(variant, market)


# GET lists, POST creates: /api/v1/products.
class ProductCollectionApi(ProductListApi, ProductCreateApi):
    write_permissions = ProductCreateApi.write_permissions


# GET reads, PATCH changes: /api/v1/products/{handle}.
class ProductResourceApi(ProductDetailApi, ProductUpdateApi):
    write_permissions = ProductUpdateApi.write_permissions

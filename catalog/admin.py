"""The merchandiser's console: brands, the category tree, attributes and products.

A product, its options (with values typed as "S, M, L"), its variants (option values, weight and
a price per market currency), translations, attribute values and media are all edited on the
product page (catalog/admin_products.py); a variant's full price list and identifiers are on its
own page (catalog/admin_variants.py). The forms are in catalog/admin_forms.py, the spreadsheet
import and export views in catalog/admin_import.py.

Every write goes through catalog.services (shop.admin_mixins.ServiceSaveMixin): the forms only
check what was typed; when a service refuses, the submit rolls back and the page shows its
errors on the rows they name.
"""

from django.contrib import admin

from catalog import admin_products, admin_variants  # noqa: F401 - they register their pages
from catalog.models import Attribute, Brand, Category
from shop.forms import StorableTextModelForm


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["path", "name", "parent", "position"]
    list_select_related = ["parent"]
    search_fields = ["name", "path"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["path"]
    fields = ["name", "slug", "parent", "path", "description", "position"]
    autocomplete_fields = ["parent"]


@admin.register(Attribute)
class AttributeAdmin(admin.ModelAdmin):
    form = StorableTextModelForm  # name_translations is JSON: a "\u0000" escape is a form error
    list_display = ["code", "name", "kind", "unit", "is_filterable", "position"]
    list_filter = ["kind", "is_filterable"]
    search_fields = ["code", "name"]
    prepopulated_fields = {"code": ["name"]}

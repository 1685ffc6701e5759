/* Emporium storefront: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // Forms marked data-autosubmit reload on change; their submit button stays for no-JS users.
  function enhanceAutosubmit(form) {
    var button = form.querySelector("[data-autosubmit-button]");
    if (button) button.hidden = true;
    form.addEventListener("change", function (event) {
      if (event.target.matches("select")) form.requestSubmit ? form.requestSubmit() : form.submit();
    });
  }

  // Product page: map the chosen option values to a variant and show its price and stock.
  function enhanceVariantForm(form) {
    var dataNode = document.getElementById("variant-data");
    if (!dataNode) return;
    var variants = JSON.parse(dataNode.textContent);
    var root = form.closest("[data-product]") || document;
    var pickers = Array.prototype.slice.call(form.querySelectorAll("[data-option]"));
    var variantSelect = form.querySelector("[data-variant-select]");
    var price = root.querySelector("[data-price]");
    var compareAt = root.querySelector("[data-compare-at]");
    var availability = root.querySelector("[data-availability]");
    var button = form.querySelector("[data-add-to-cart]");
    var noVariant = form.querySelector("[data-no-variant]");
    var mainImage = root.querySelector("[data-main-image]");

    function findVariant() {
      return variants.find(function (variant) {
        return pickers.every(function (select) {
          return variant.options[select.dataset.option] === select.value;
        });
      });
    }

    function setText(node, text) {
      if (!node) return;
      var hiddenLabel = node.querySelector(".visually-hidden");
      node.textContent = text;
      if (hiddenLabel && text) node.insertBefore(hiddenLabel, node.firstChild);
      node.hidden = !text;
    }

    function show(variant) {
      noVariant && (noVariant.hidden = Boolean(variant));
      if (!variant) {
        button.disabled = true;
        availability && (availability.hidden = true);
        return;
      }
      variantSelect.value = variant.sku;
      setText(price, variant.price);
      setText(compareAt, variant.compare_at);
      if (availability) {
        setText(availability, variant.availability);
        availability.className = "availability availability-" + variant.status;
      }
      button.disabled = !variant.can_buy;
      if (mainImage) {
        var image = variant.image || {
          url: mainImage.dataset.defaultSrc || mainImage.src,
          alt: mainImage.dataset.defaultAlt || mainImage.alt
        };
        mainImage.src = image.url;
        mainImage.alt = image.alt;
      }
      if (window.history && history.replaceState) {
        var url = new URL(window.location.href);
        url.searchParams.set("sku", variant.sku);
        history.replaceState(null, "", url);
      }
      // Switching market reloads the page: keep the chosen variant.
      document.querySelectorAll("form.market-form").forEach(function (marketForm) {
        var input = marketForm.querySelector("input[name=sku]");
        if (!input) {
          input = document.createElement("input");
          input.type = "hidden";
          input.name = "sku";
          marketForm.appendChild(input);
        }
        input.value = variant.sku;
      });
    }

    if (pickers.length) {
      form.querySelector("[data-option-pickers]").hidden = false;
      form.querySelector("[data-variant-fallback]").hidden = true;
      pickers.forEach(function (select) {
        select.addEventListener("change", function () { show(findVariant()); });
      });
    }
    variantSelect.addEventListener("change", function () {
      show(variants.find(function (v) { return v.sku === variantSelect.value; }));
    });
  }

  function enhanceGallery(root) {
    var main = root.querySelector("[data-main-image]");
    if (!main) return;
    root.querySelectorAll("[data-thumb]").forEach(function (thumb) {
      thumb.addEventListener("click", function () {
        main.src = thumb.dataset.src;
        main.alt = thumb.dataset.alt;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-autosubmit]").forEach(enhanceAutosubmit);
    document.querySelectorAll("form[data-variant-form]").forEach(enhanceVariantForm);
    document.querySelectorAll("[data-product]").forEach(enhanceGallery);
  });
})();

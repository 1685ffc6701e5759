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

  // Forms marked data-next-page (the checkout steps, add to cart, place order) are sent with
  // fetch and answered with the page they lead to (storefront/next_page.py): one request per
  // click instead of the POST and then the GET of the next page. The page is shown in place
  // and its address put in the location bar, so reload, back and bookmarks work as after a
  // redirect. Without fetch the form is sent the plain way.
  function withoutHash(url) { return url.split("#")[0]; }
  var shownUrl = withoutHash(window.location.href);  // the address the page on screen is of

  function showPage(html, url) {
    var next = new DOMParser().parseFromString(html, "text/html");
    if (next.body.querySelector("script[src]")) {
      // A page with a script of its own (the drop's waiting room): load it as a page.
      window.location.assign(url || window.location.href);
      return;
    }
    var current = Array.prototype.slice.call(document.head.children);
    var incoming = Array.prototype.slice.call(next.head.children);
    current.forEach(function (node) {  // stylesheets both pages use stay loaded
      var kept = incoming.some(function (other) { return other.isEqualNode(node); });
      if (!kept) node.remove();
    });
    incoming.forEach(function (node) {
      var present = current.some(function (other) { return other.isConnected && other.isEqualNode(node); });
      if (!present) document.head.appendChild(document.importNode(node, true));
    });
    document.documentElement.lang = next.documentElement.lang;
    document.body.replaceWith(document.adoptNode(next.body));
    if (url && url !== window.location.href) window.history.pushState({ shownInPlace: true }, "", url);
    shownUrl = withoutHash(window.location.href);
    window.scrollTo(0, 0);
    enhance(document);
    var main = document.getElementById("main");
    if (main) main.focus({ preventScroll: true });  // screen readers start on the new page
  }

  function enhanceNextPage(form) {
    if (!window.fetch || !window.DOMParser || !window.history.pushState) return;
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;
      event.preventDefault();
      if (form.dataset.sending) return;  // a double click sends the form once
      form.dataset.sending = "1";
      // What a page load would show: the form is busy until the next page is there.
      form.setAttribute("aria-busy", "true");
      var data = new FormData(form);
      if (event.submitter && event.submitter.name) data.append(event.submitter.name, event.submitter.value);
      fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(data),
        headers: { "X-Next-Page": "inline", Accept: "text/html" },
        credentials: "same-origin"
      }).then(function (response) {
        if ((response.headers.get("Content-Type") || "").indexOf("text/html") !== 0) {
          throw new Error("not a page");
        }
        var url = response.headers.get("X-Page-URL");
        url = url ? new URL(url, window.location.href).href : (response.redirected ? response.url : "");
        return response.text().then(function (html) { showPage(html, url); });
      }).catch(function () {
        delete form.dataset.sending;
        form.removeAttribute("aria-busy");
        form.submit();  // no page came back: send it the plain way, the browser shows what happens
      });
    });
  }

  // Back or forward to another address than the page on screen (one shown in place, or
  // after a reload one that a page shown in place had pushed): load it from the server.
  window.addEventListener("popstate", function () {
    if (withoutHash(window.location.href) !== shownUrl) window.location.reload();
  });

  function enhance(root) {
    root.querySelectorAll("form[data-autosubmit]").forEach(enhanceAutosubmit);
    root.querySelectorAll("form[data-variant-form]").forEach(enhanceVariantForm);
    root.querySelectorAll("[data-product]").forEach(enhanceGallery);
    root.querySelectorAll("form[data-next-page]").forEach(enhanceNextPage);
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
})();

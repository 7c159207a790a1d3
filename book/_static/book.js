/* The course's book in a browser (book/conf.py loads this on every page). */
(() => {
  "use strict";

  const ready = (run) => {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", run);
    } else {
      run();
    }
  };

  /* The menu ("Toggle primary sidebar") and "Contents" buttons. Both themes wire only the
   * first button of each kind on a page, the navigation bar's, which the Book Theme hides;
   * the buttons a reader sees sit in the article's header and did nothing below 992 px
   * wide, so a phone had no way to the chapter list. Each of them passes its click on. */
  const forwardToggles = () => {
    for (const kind of ["primary-toggle", "secondary-toggle"]) {
      const [wired, ...others] = document.querySelectorAll(`button.${kind}`);
      for (const button of others) {
        button.addEventListener("click", (event) => {
          event.preventDefault();
          event.stopPropagation();
          button.blur();
          wired.click();
        });
      }
    }
  };

  /* A figure is drawn at the width of the text column, often well below its own size (a
   * grid of a dozen panels at a third of it); a click opens it full size, where a phone can
   * zoom into it. */
  const linkFigures = () => {
    for (const image of document.querySelectorAll("article.bd-article img")) {
      if (image.closest("a")) {
        continue;
      }
      const link = document.createElement("a");
      link.href = image.getAttribute("src");
      link.className = "figure-full-size";
      link.title = "Open the figure full size";
      image.replaceWith(link);
      link.append(image);
    }
  };

  ready(forwardToggles);
  ready(linkFigures);
})();

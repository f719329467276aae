"""Published builds: where a region's builds live, which is current, and serving them.

- :mod:`~sna.builds.registry`: build folders, the current one, pruning, and
  :func:`~sna.builds.registry.open_build` / :func:`~sna.builds.registry.load_public_build`;
- :mod:`~sna.builds.watcher`: serve the current build and swap in a new one when published.

Cheap folder reads: nothing here imports pandas until a build is opened.
"""

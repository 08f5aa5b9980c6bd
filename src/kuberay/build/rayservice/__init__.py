"""RayService: names, what it creates (serving clusters, head and serve Services) and its
reconcile as one pure step (plan.py)."""

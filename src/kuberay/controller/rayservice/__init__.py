"""The RayService controller: watches, the actor carrying out plan steps, the Serve REST client."""

"""The duty rota: officers and shifts, who covers when, and the notices the rota sends by itself."""

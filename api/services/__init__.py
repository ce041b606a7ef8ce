"""What a route does once its dependencies have loaded and authorised the resource: one function a
route, reading and writing through db/ and checking through domain/, never committing."""

print("dpp")
